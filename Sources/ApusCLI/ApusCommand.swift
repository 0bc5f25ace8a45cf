import ArgumentParser

/// The `apus` command line: one subcommand per file in this folder.
@main
struct ApusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "Run Hugging Face transformer checkpoints on CPU.",
        subcommands: [EmbedCommand.self, ClassifyCommand.self, NerCommand.self, FillMaskCommand.self, RerankCommand.self,
                      SimilarityCommand.self, TokenizeCommand.self, DetokenizeCommand.self, GenerateCommand.self,
                      ChatCommand.self, BenchCommand.self]
    )
}
