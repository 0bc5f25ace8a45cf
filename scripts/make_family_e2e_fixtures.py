#!/usr/bin/env python3
"""Makes tiny encoder checkpoints whose tokenizers are the kind the real ones ship, and the outputs of transformers'
pipelines and sentence-transformers run on them from text.

Writes Tests/Fixtures/e2e/<family>-<head>/ for family in
  roberta     byte-level BPE + RobertaProcessing, <mask> with lstrip (RobertaTokenizerFast from vocab/merges)
  xlm-roberta SentencePiece Unigram + Precompiled + Metaspace, <mask> with lstrip (XLMRobertaTokenizerFast from a tiny
              sentencepiece model trained with a small custom normalisation table, so the charsmap stays small)
  modernbert  byte-level BPE with TemplateProcessing [CLS]/[SEP], as answerdotai/ModernBERT-base writes it
  deberta-v3  Metaspace + Unigram, [CLS]/[SEP]/[MASK] (DebertaV2TokenizerFast converted from a sentencepiece model)
  mpnet       WordPiece with <s>/</s> (MPNetTokenizerFast)
and head in
  mlm     *ForMaskedLM; reference: pipeline("fill-mask", top_k=5) and one `targets` case
  seqcls  *ForSequenceClassification (3 labels); reference: logits of pipeline("text-classification") inputs,
          singles and pairs (top_k=None, function_to_apply none)
  tokcls  *ForTokenClassification (BIO labels); reference: pipeline("ner") with aggregation simple and first, and
          stride windows (model_max_length 20, stride 6) for simple/first/average/max with the windows' ids
  embed   the bare encoder + modules.json + 1_Pooling (mean): SentenceTransformer(...).encode
and roberta-rerank: a one-label RobertaForSequenceClassification scored with sentence-transformers' CrossEncoder.
Tokenizers are trained on Tests/Fixtures/texts/parity-texts.jsonl (vocabulary ~400); models are 1 layer, hidden 32,
initializer_range 0.4 with random norms/biases so outputs are not flat. Every directory has reference.json.

Trained vocabularies (BpeTrainer, WordPiece trainer) are not byte-reproducible between runs; the tests read
whatever the last run wrote, so rerun everything together.

Run: /work/venv-dev/bin/python scripts/make_family_e2e_fixtures.py [family ...] (torch, transformers, tokenizers,
sentencepiece, sentence-transformers)
"""
import copy
import json
import pathlib
import shutil
import sys
import tempfile

import numpy
import sentencepiece
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from tokenizers import AddedToken
from transformers import (AutoTokenizer, DebertaV2Config, DebertaV2ForMaskedLM, DebertaV2ForSequenceClassification,
                          DebertaV2ForTokenClassification, DebertaV2Model, ModernBertConfig, ModernBertForMaskedLM,
                          ModernBertForSequenceClassification, ModernBertForTokenClassification, ModernBertModel,
                          MPNetConfig, MPNetForMaskedLM, MPNetForSequenceClassification, MPNetForTokenClassification,
                          MPNetModel, PreTrainedTokenizerFast, RobertaConfig, RobertaForMaskedLM,
                          RobertaForSequenceClassification, RobertaForTokenClassification, RobertaModel,
                          XLMRobertaConfig, XLMRobertaForMaskedLM, XLMRobertaForSequenceClassification,
                          XLMRobertaForTokenClassification, XLMRobertaModel, pipeline)

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "e2e"
CORPUS = [json.loads(line)["text"] for line in (ROOT / "Tests/Fixtures/texts/parity-texts.jsonl").read_text().split("\n") if line]
VOCAB = 500
SEQUENCE_LABELS = {0: "negative", 1: "neutral", 2: "positive"}
TOKEN_LABELS = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
TEXTS = ["Hello, world!", "The quick brown fox jumps over the lazy dog.", "I can't believe it's not butter!",
         "José lives in Zürich and works at Microsoft.", "A woman is playing violin.", "ｆｕｌｌｗｉｄｔｈ text",
         "  spaces   around  "]
PAIRS = [("A man is eating food.", "A man is eating a piece of bread."), ("Who lives here?", "The girl lives in Paris.")]
NER_TEXTS = ["John Smith lives in New York.", "Angela Merkel visited Paris and Berlin!",
             "José works at Microsoft in Zürich, not Apple.", "supercalifragilistic words: unbelievably long ones"]
STRIDE_TEXTS = [" ".join(["John Smith works for the United Nations in New York and lives in Berlin."] * 3),
                "The quick brown fox jumps over the lazy dog while Angela Merkel visits Paris, Zürich and Rome today."]
STRIDE_MAX, STRIDE = 20, 6
QUERY = "Where does the man eat?"
DOCUMENTS = ["A man is eating food.", "The girl is carrying a baby.", "A man eats bread in Paris.", "Nothing."]


def write_tokenizer_texts(path):
    path.write_text("\n".join(t for t in CORPUS if t.strip()) + "\n")


def train_sentencepiece(work, specials):
    """A tiny Unigram sentencepiece model; a four-rule normalisation table (fullwidth letters, a ligature) makes a
    small Precompiled charsmap instead of nmt_nfkc's 250 KB one."""
    corpus = work / "corpus.txt"
    write_tokenizer_texts(corpus)
    rules = work / "rules.tsv"
    # sentencepiece rule format: source code points (hex, space separated) TAB target code points.
    lines = [f"{0xFF41 + i:X}\t{0x61 + i:X}" for i in range(26)] + ["FB01\t66 69", "3000\t20"]
    rules.write_text("\n".join(lines) + "\n")
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(work / "sp"), vocab_size=VOCAB, model_type="unigram",
        normalization_rule_tsv=str(rules), character_coverage=0.98, user_defined_symbols=[],
        hard_vocab_limit=False, minloglevel=2, **specials)
    return work / "sp.model"


def byte_level_bpe(special_tokens):
    tokenizer = Tokenizer(models.BPE(fuse_unk=False))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=special_tokens,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(CORPUS, trainer)
    return tokenizer


def make_roberta_tokenizer(work):
    from transformers import RobertaTokenizerFast
    bpe = byte_level_bpe(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.model.save(str(work))
    # roberta-base's <mask> takes the space before it (lstrip), so "a <mask> b" fills as "a b" with one space.
    return RobertaTokenizerFast(vocab=str(work / "vocab.json"), merges=str(work / "merges.txt"),
                                mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True))


def make_modernbert_tokenizer(work):
    specials = ["|||IP_ADDRESS|||", "<|padding|>", "[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    bpe = byte_level_bpe(specials)
    ids = {name: bpe.token_to_id(name) for name in specials}
    bpe.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])])
    bpe.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    bpe.add_special_tokens([AddedToken("[MASK]", lstrip=True, normalized=False, special=True)])
    return PreTrainedTokenizerFast(tokenizer_object=bpe, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
                                   pad_token="[PAD]", mask_token="[MASK]", clean_up_tokenization_spaces=True)


def make_xlmr_tokenizer(work):
    from transformers import XLMRobertaTokenizerFast
    # fairseq's layout, as xlm-roberta-base's sentencepiece.bpe.model: <unk> 0, <s> 1, </s> 2, no pad (the
    # converter shifts the pieces by one and puts <s> <pad> </s> <unk> first).
    model = train_sentencepiece(work, dict(unk_id=0, bos_id=1, eos_id=2, pad_id=-1))
    shutil.copy(model, work / "sentencepiece.bpe.model")
    # xlm-roberta-base's <mask> takes the space before it, as roberta-base's does.
    return XLMRobertaTokenizerFast.from_pretrained(
        str(work), mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True))


def make_deberta_tokenizer(work):
    from transformers import DebertaV2TokenizerFast
    # deberta-v3-base's spm.model: [PAD] 0, [CLS] 1, [SEP] 2, [UNK] 3; [MASK] is added after the vocabulary.
    model = train_sentencepiece(work, dict(pad_id=0, bos_id=1, eos_id=2, unk_id=3, pad_piece="[PAD]", bos_piece="[CLS]",
                                           eos_piece="[SEP]", unk_piece="[UNK]"))
    shutil.copy(model, work / "spm.model")
    return DebertaV2TokenizerFast.from_pretrained(str(work))


def make_mpnet_tokenizer(work):
    from tokenizers import BertWordPieceTokenizer
    from transformers import MPNetTokenizerFast
    wordpiece = BertWordPieceTokenizer(lowercase=True)
    wordpiece.train_from_iterator(CORPUS, vocab_size=VOCAB, special_tokens=["<s>", "<pad>", "</s>", "[UNK]", "<mask>"],
                                  show_progress=False)
    wordpiece.save_model(str(work))
    return MPNetTokenizerFast(vocab=str(work / "vocab.txt"))


def sizes(tokenizer):
    return dict(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                intermediate_size=48, initializer_range=0.4, pad_token_id=tokenizer.pad_token_id)


def roberta_config(tokenizer, cls=RobertaConfig, **head):
    return cls(**sizes(tokenizer), max_position_embeddings=80, type_vocab_size=1, bos_token_id=tokenizer.cls_token_id,
               eos_token_id=tokenizer.sep_token_id, **head)


def xlmr_config(tokenizer, **head):
    return roberta_config(tokenizer, cls=XLMRobertaConfig, **head)


def modernbert_config(tokenizer, **head):
    return ModernBertConfig(**sizes(tokenizer), max_position_embeddings=80, hidden_activation="gelu",
                            global_attn_every_n_layers=3, local_attention=8, cls_token_id=tokenizer.cls_token_id,
                            sep_token_id=tokenizer.sep_token_id, bos_token_id=tokenizer.cls_token_id,
                            eos_token_id=tokenizer.sep_token_id, classifier_pooling="cls", attn_implementation="eager",
                            **head)


def deberta_config(tokenizer, **head):
    return DebertaV2Config(**sizes(tokenizer), max_position_embeddings=80, type_vocab_size=0, relative_attention=True,
                           position_buckets=16, max_relative_positions=-1, norm_rel_ebd="layer_norm",
                           pos_att_type=["p2c", "c2p"], position_biased_input=False, share_att_key=True,
                           hidden_act="gelu", layer_norm_eps=1e-7, **head)


def mpnet_config(tokenizer, **head):
    return MPNetConfig(**sizes(tokenizer), max_position_embeddings=80, relative_attention_num_buckets=32,
                       bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id, **head)


FAMILIES = {
    "roberta": (make_roberta_tokenizer, roberta_config,
                dict(mlm=RobertaForMaskedLM, seqcls=RobertaForSequenceClassification,
                     tokcls=RobertaForTokenClassification, embed=RobertaModel)),
    "xlm-roberta": (make_xlmr_tokenizer, xlmr_config,
                    dict(mlm=XLMRobertaForMaskedLM, seqcls=XLMRobertaForSequenceClassification,
                         tokcls=XLMRobertaForTokenClassification, embed=XLMRobertaModel)),
    "modernbert": (make_modernbert_tokenizer, modernbert_config,
                   dict(mlm=ModernBertForMaskedLM, seqcls=ModernBertForSequenceClassification,
                        tokcls=ModernBertForTokenClassification, embed=ModernBertModel)),
    "deberta-v3": (make_deberta_tokenizer, deberta_config,
                   dict(mlm=DebertaV2ForMaskedLM, seqcls=DebertaV2ForSequenceClassification,
                        tokcls=DebertaV2ForTokenClassification, embed=DebertaV2Model)),
    "mpnet": (make_mpnet_tokenizer, mpnet_config,
              dict(mlm=MPNetForMaskedLM, seqcls=MPNetForSequenceClassification, tokcls=MPNetForTokenClassification,
                   embed=MPNetModel)),
}


def plain(value):
    """JSON-friendly copies of pipeline values: numpy scalars to Python."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, (float, numpy.floating)):
        return float(value)
    if isinstance(value, numpy.integer):
        return int(value)
    return value


def randomise(model):
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "norm" in name.lower():
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
            elif name.endswith("bias"):
                parameter.copy_(torch.randn_like(parameter) * 0.3)


def spread_labels(model, tokenizer):
    """A random classifier favours one label everywhere. Standardise each label's logit over the fixture's tokens
    (zero mean, spread 2.5; "O" one ahead, as in a trained model) so every label wins somewhere and B-/I-
    grouping and the aggregation strategies have something to do."""
    inputs = []
    probe = copy.deepcopy(tokenizer)  # truncating would otherwise leave a truncation section in the saved tokenizer.json
    hook = model.classifier.register_forward_pre_hook(lambda module, args: inputs.append(args[0][0]))
    with torch.no_grad():
        for text in NER_TEXTS + STRIDE_TEXTS:
            model(**probe(text, truncation=True, max_length=64, return_tensors="pt"))
        hook.remove()
        hidden = torch.cat(inputs)  # [tokens, hidden]
        raw = hidden @ model.classifier.weight.T
        scale = 2.5 / raw.std(0)
        model.classifier.weight.mul_(scale[:, None])
        model.classifier.bias.copy_(-raw.mean(0) * scale + torch.tensor([1.0] + [0.0] * (raw.shape[1] - 1)))


def save(model, tokenizer, out):
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    for extra in ["special_tokens_map.json", "sentencepiece.bpe.model", "spm.model", "vocab.json", "merges.txt",
                  "vocab.txt", "added_tokens.json"]:
        (out / extra).unlink(missing_ok=True)


def make(family, seed):
    make_tokenizer, make_config, classes = FAMILIES[family]
    with tempfile.TemporaryDirectory() as work:
        tokenizer = make_tokenizer(pathlib.Path(work))
    mask = tokenizer.mask_token
    for head, model_class in classes.items():
        torch.manual_seed(seed)
        seed += 1
        labels = {"seqcls": SEQUENCE_LABELS, "tokcls": TOKEN_LABELS}.get(head)
        config = make_config(tokenizer, **({} if labels is None else dict(
            num_labels=len(labels), id2label=labels, label2id={v: k for k, v in labels.items()})))
        model = model_class(config).eval()
        randomise(model)
        if head == "tokcls":
            spread_labels(model, tokenizer)
        out = OUT / f"{family}-{head}"
        save(model, tokenizer, out)
        reference = {"made_by": "scripts/make_family_e2e_fixtures.py", "architecture": model_class.__name__}
        if head == "mlm":
            fill = pipeline("fill-mask", model=str(out), device="cpu")
            texts = [f"The quick brown {mask} jumps over the lazy dog.", f"A man is {mask} food.",
                     f"{mask} is playing violin.", f"Hello,{mask} world!"]
            reference["cases"] = [{"text": t, "predictions": plain(fill(t, top_k=5))} for t in texts]
            reference["targets"] = {"text": texts[1], "targets": ["eating", " eating", "food", "the"],
                                    "predictions": plain(fill(texts[1], targets=["eating", " eating", "food", "the"]))}
        elif head == "seqcls":
            classify = pipeline("text-classification", model=str(out), device="cpu")
            cases = [{"text": t, "ids": classify.tokenizer(t)["input_ids"],
                      "result": plain(classify(t, top_k=None, function_to_apply="none"))} for t in TEXTS]
            cases += [{"text": a, "pair": b, "ids": classify.tokenizer(a, b)["input_ids"],
                       "result": plain(classify({"text": a, "text_pair": b}, top_k=None, function_to_apply="none"))}
                      for a, b in PAIRS]
            reference["cases"] = cases
        elif head == "tokcls":
            ner = {s: pipeline("ner", model=str(out), aggregation_strategy=s, device="cpu") for s in ["simple", "first"]}
            reference["cases"] = [{"text": t, "ids": ner["simple"].tokenizer(t)["input_ids"],
                                   **{s: plain(ner[s](t)) for s in ner}} for t in NER_TEXTS]
            stride_cases = []
            for text in STRIDE_TEXTS:
                case = {"text": text}
                for strategy in ["simple", "first", "average", "max"]:
                    ner_s = pipeline("ner", model=str(out), aggregation_strategy=strategy, stride=STRIDE, device="cpu")
                    ner_s.tokenizer.model_max_length = STRIDE_MAX
                    case[strategy] = plain(ner_s(text))
                windows = ner_s.tokenizer(text, return_overflowing_tokens=True, stride=STRIDE, truncation=True,
                                          max_length=STRIDE_MAX)
                case["windows"] = windows["input_ids"]
                stride_cases.append(case)
            reference["stride"] = {"max_length": STRIDE_MAX, "stride": STRIDE, "cases": stride_cases}
        elif head == "embed":
            from sentence_transformers import SentenceTransformer, models as st_models
            transformer = st_models.Transformer(str(out), max_seq_length=64)
            pooling = st_models.Pooling(transformer.get_word_embedding_dimension(), pooling_mode="mean")
            st = SentenceTransformer(modules=[transformer, pooling], device="cpu")
            st.save(str(out))
            for extra in ["README.md", "special_tokens_map.json", "sentencepiece.bpe.model", "spm.model",
                          "vocab.json", "merges.txt", "vocab.txt", "added_tokens.json"]:
                (out / extra).unlink(missing_ok=True)
            st = SentenceTransformer(str(out), device="cpu")
            reference["cases"] = [{"text": t, "ids": st.tokenizer(t)["input_ids"],
                                   "embedding": st.encode(t, convert_to_numpy=True).tolist()} for t in TEXTS]
        (out / "reference.json").write_text(json.dumps(reference, indent=1, ensure_ascii=False) + "\n")
        print(out.name, sum(f.stat().st_size for f in out.rglob("*") if f.is_file()), "bytes", flush=True)
    if family == "roberta":
        from sentence_transformers import CrossEncoder
        torch.manual_seed(seed)
        model = RobertaForSequenceClassification(make_config(tokenizer, num_labels=1)).eval()
        randomise(model)
        out = OUT / "roberta-rerank"
        save(model, tokenizer, out)
        encoder = CrossEncoder(str(out), device="cpu")
        scores = encoder.predict([(QUERY, d) for d in DOCUMENTS], convert_to_numpy=True)
        (out / "reference.json").write_text(json.dumps({
            "made_by": "scripts/make_family_e2e_fixtures.py", "query": QUERY, "documents": DOCUMENTS,
            "scores": [float(s) for s in scores]}, indent=1, ensure_ascii=False) + "\n")
        print(out.name, sum(f.stat().st_size for f in out.rglob("*") if f.is_file()), "bytes", flush=True)


if __name__ == "__main__":
    torch.set_num_threads(1)
    chosen = sys.argv[1:] or list(FAMILIES)
    for index, family in enumerate(FAMILIES):
        if family in chosen:
            make(family, seed=9100 + 10 * index)
