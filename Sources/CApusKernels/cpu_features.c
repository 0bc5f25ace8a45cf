// Run-time instruction-set detection: CPUID feature bits plus XGETBV, because a CPU may support AVX-512
// while the operating system does not save the zmm registers (then using them would corrupt state).
#include "apus_kernels.h"
#include "apus_bf16.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

apus_isa apus_detect_isa(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return APUS_ISA_PORTABLE;
    const int has_fma = (ecx >> 12) & 1, has_osxsave = (ecx >> 27) & 1, has_avx = (ecx >> 28) & 1;
    if (!has_osxsave || !has_avx || !has_fma) return APUS_ISA_PORTABLE;
    const uint64_t xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return APUS_ISA_PORTABLE;              // xmm + ymm state saved by the OS
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return APUS_ISA_PORTABLE;
    const int has_avx2 = (ebx >> 5) & 1, has_avx512f = (ebx >> 16) & 1;
    if (!has_avx2) return APUS_ISA_PORTABLE;
    if (has_avx512f && (xcr0 & 0xE6) == 0xE6) return APUS_ISA_AVX512; // opmask + zmm state saved too
    return APUS_ISA_AVX2;
}

apus_isa_bf16 apus_bf16_detect(void) {
    // The bf16 kernels need AVX-512 F with its register state enabled (as above), BW for 16-bit masked
    // stores, and AVX512_BF16, which Intel lists apart from the other AVX-512 bits: CPUID leaf 7 subleaf 1.
    if (apus_detect_isa() != APUS_ISA_AVX512) return APUS_BF16_PORTABLE;
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return APUS_BF16_PORTABLE;
    const int has_avx512bw = (ebx >> 30) & 1, has_avx512vl = (ebx >> 31) & 1;
    if (!has_avx512bw || !has_avx512vl || eax < 1) return APUS_BF16_PORTABLE; // eax: highest subleaf of leaf 7
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return APUS_BF16_PORTABLE;
    const int has_avx512bf16 = (eax >> 5) & 1;
    return has_avx512bf16 ? APUS_BF16_AVX512BF16 : APUS_BF16_PORTABLE;
}
#else
apus_isa apus_detect_isa(void) { return APUS_ISA_PORTABLE; }
apus_isa_bf16 apus_bf16_detect(void) { return APUS_BF16_PORTABLE; }
#endif
