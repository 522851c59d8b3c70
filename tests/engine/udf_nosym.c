/*
 * tests/engine/udf_nosym.c - a shared object that is not a UDF library (no sluice_udf_library
 * symbol): skipped in a UDF directory, an error when named as a file.
 */
#include <sluice_udf.h>

SLUICE_UDF_EXPORT int udf_nosym_answer(void);

int udf_nosym_answer(void)
{
    return 42;
}
