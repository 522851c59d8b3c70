/*
 * kernels/hashagg_avx2.c - the AVX2 level of the hashagg kernels: the loops of
 * hashagg_impl.h compiled with -mavx2 -mbmi2 (see that file for why there are no intrinsics:
 * probes are dependent loads and updates are scatters with conflicts, where SIMD does not
 * pay). Bit-identical to the scalar level by construction.
 */
#include "kernels/hashagg_impl.h"

SL_HASHAGG_TABLE(sl_hashagg_avx2, sl_ha_probe);
