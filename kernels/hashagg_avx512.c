/*
 * kernels/hashagg_avx512.c - the AVX-512 level of the hashagg kernels: the loops of
 * hashagg_impl.h compiled with the AVX-512 flags (see that file for why they are scalar
 * loops). Bit-identical to the scalar level by construction.
 */
#include "kernels/hashagg_impl.h"

SL_HASHAGG_TABLE(sl_hashagg_avx512, sl_ha_probe);
