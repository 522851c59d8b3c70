/*
 * kernels/hashagg.c - scalar reference of the hashagg kernels (the loops are in
 * hashagg_impl.h, shared with the SIMD levels) and the family's dispatch.
 */
#include "kernels/hashagg_impl.h"

SL_HASHAGG_TABLE(sl_hashagg_scalar, sl_ha_probe);

const struct sl_hashagg_kernels *sl_hashagg = &sl_hashagg_scalar;

const struct sl_hashagg_kernels *sl_hashagg_kernels_for(sl_simd_level level)
{
    switch (level) {
    case SL_SIMD_AVX512:
        return &sl_hashagg_avx512;
    case SL_SIMD_AVX2:
        return &sl_hashagg_avx2;
    default:
        return &sl_hashagg_scalar;
    }
}

void sl_hashagg_kernels_activate(sl_simd_level level)
{
    sl_hashagg = sl_hashagg_kernels_for(level);
}
