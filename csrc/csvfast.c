/* gazeport._csvfast: the formatting half of the raw CSV export, in C.
 *
 * Why it exists: the CSV exporters spend most of their time turning float64 arrays into text that
 * must read exactly like Python's repr(float).  This module does only that formatting and the CSV
 * framing (cells joined by ",", rows ended by "\r\n"); every decision about which cells exist,
 * which rows are rendered the slow way and how text cells are quoted stays in Python.
 *
 * Floats: Ryu (csrc/ryu, vendored unmodified) gives the shortest decimal digits that round-trip,
 * choosing the nearest such string and breaking ties to even, which is what CPython's dtoa mode 0
 * gives for repr().  The layout rules below are CPython's PyOS_double_to_string(x, 'r', 0,
 * Py_DTSF_ADD_DOT_0): with the value 0.DIGITS x 10**decpt, scientific notation when decpt <= -4 or
 * decpt > 16, an exponent with a sign and at least two digits, ".0" after integral fixed values,
 * "nan" without a sign.
 *
 * Build: one translation unit, with the folder that holds ryu/ on the include path (-I csrc),
 * because Ryu's files include each other as "ryu/...".
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "ryu/d2s.c"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Longest repr of a float64: "-2.2250738585072014e-308" (fixed notation is at most 23). */
#define FLOAT_MAX_CHARS 24
/* Longest int64: "-9223372036854775808". */
#define INT_MAX_CHARS 20
/* write_float writes some fixed-size blocks (no variable-length call per value) and so may write
 * up to this many bytes past the end of its text; the text that follows overwrites them, and every
 * output buffer has this much room at its end. */
#define FLOAT_SLACK 40
/* Below this output bound (some microseconds of work) the GIL is kept: handing it over and
 * taking it back would cost more than the formatting. */
#define GIL_RELEASE_BYTES 65536

/* ------------------------------------------------------------------------------------------- */
/* Number text                                                                                  */

/* Writes exactly 8 digits of v (v < 10**8) to dst, in two independent halves. */
static inline void write_8_digits(uint32_t v, char *dst)
{
    const uint32_t hi = v / 10000;
    const uint32_t lo = v - hi * 10000;
    memcpy(dst, DIGIT_TABLE + 2 * (hi / 100), 2);
    memcpy(dst + 2, DIGIT_TABLE + 2 * (hi % 100), 2);
    memcpy(dst + 4, DIGIT_TABLE + 2 * (lo / 100), 2);
    memcpy(dst + 6, DIGIT_TABLE + 2 * (lo % 100), 2);
}

/* Writes the `len` digits of v (v < 10**len, len <= 8) to dst. */
static inline void write_digits32(uint32_t v, uint32_t len, char *dst)
{
    if (len == 8) {
        write_8_digits(v, dst);
        return;
    }
    char *p = dst + len;
    while (v >= 100) {
        const uint32_t c = (v % 100) << 1;
        v /= 100;
        p -= 2;
        memcpy(p, DIGIT_TABLE + c, 2);
    }
    if (v >= 10) {
        memcpy(p - 2, DIGIT_TABLE + (v << 1), 2);
    }
    else {
        p[-1] = (char)('0' + v);
    }
}

/* Writes the `len` decimal digits of v (v < 10**len, len <= 20) to dst, 8 at a time from the
 * right: short independent chains rather than one long chain of divisions by 100. */
static inline void write_digits64(uint64_t v, uint32_t len, char *dst)
{
    while (len > 8) {
        const uint64_t hi = v / 100000000u;
        write_8_digits((uint32_t)(v - hi * 100000000u), dst + len - 8);
        len -= 8;
        v = hi;
    }
    write_digits32((uint32_t)v, len, dst);
}

static inline uint32_t decimal_length64(uint64_t v)
{
    uint32_t len = 1;
    while (v >= 10000) {
        v /= 10000;
        len += 4;
    }
    if (v >= 100) {
        v /= 100;
        len += 2;
    }
    if (v >= 10) {
        len += 1;
    }
    return len;
}

/* Text of repr(x) at dst (no terminator); returns its length (<= FLOAT_MAX_CHARS).  May write up
 * to FLOAT_SLACK bytes past the text. */
static inline Py_ssize_t write_float(double x, char *dst)
{
    const uint64_t bits = double_to_bits(x);
    const bool negative = (bits >> 63) != 0;
    const uint64_t ieee_mantissa = bits & ((1ull << DOUBLE_MANTISSA_BITS) - 1);
    const uint32_t ieee_exponent = (uint32_t)((bits >> DOUBLE_MANTISSA_BITS) & 0x7ffu);
    char *p = dst;

    if (ieee_exponent == 0x7ffu) {
        if (ieee_mantissa != 0) {
            memcpy(p, "nan", 3); /* repr drops the sign of a NaN */
            return 3;
        }
        if (negative) {
            *p++ = '-';
        }
        memcpy(p, "inf", 3);
        return (p - dst) + 3;
    }
    if (negative) {
        *p++ = '-';
    }
    if (ieee_exponent == 0 && ieee_mantissa == 0) {
        memcpy(p, "0.0", 3);
        return (p - dst) + 3;
    }

    floating_decimal_64 v;
    if (!d2d_small_int(ieee_mantissa, ieee_exponent, &v)) {
        v = d2d(ieee_mantissa, ieee_exponent);
    }
    /* d2d's digits never end in 0 (shortest).  d2d_small_int's exact integers in [1, 2**53) may,
     * but they are always written in fixed notation (1 <= decpt <= 16), whose text does not change
     * when trailing zeros move from the digits into the exponent: no need to strip them. */
    const int32_t n = (int32_t)decimalLength17(v.mantissa);
    const int32_t decpt = v.exponent + n; /* value = 0.DIGITS * 10**decpt */

    /* Digits are written straight to their place (or one byte right of it): copying them as a
     * block right after writing them in pairs would stall on store-to-load forwarding. */
    if (decpt <= -4 || decpt > 16) {
        /* d[.ddd]e+XX */
        write_digits64(v.mantissa, (uint32_t)n, p + 1);
        p[0] = p[1];
        if (n > 1) {
            p[1] = '.';
            p += n + 1;
        }
        else {
            p += 1;
        }
        int32_t e = decpt - 1;
        p[0] = 'e';
        p[1] = e < 0 ? '-' : '+';
        p += 2;
        e = e < 0 ? -e : e;
        if (e >= 100) {
            *p++ = (char)('0' + e / 100);
            e %= 100;
        }
        memcpy(p, DIGIT_TABLE + 2 * e, 2);
        p += 2;
    }
    else if (decpt <= 0) {
        /* 0.ddd, 0.0ddd, 0.00ddd, 0.000ddd */
        memcpy(p, "0.000", 5);
        p += 2 - decpt;
        write_digits64(v.mantissa, (uint32_t)n, p);
        p += n;
    }
    else if (decpt < n) {
        /* ddd.ddd: the integer part (usually a few digits) moves one byte left */
        write_digits64(v.mantissa, (uint32_t)n, p + 1);
        for (int32_t i = 0; i < decpt; ++i) {
            p[i] = p[i + 1];
        }
        p[decpt] = '.';
        p += n + 1;
    }
    else {
        /* ddd000.0 */
        write_digits64(v.mantissa, (uint32_t)n, p);
        memset(p + n, '0', 16);
        p += decpt;
        p[0] = '.';
        p[1] = '0';
        p += 2;
    }
    return p - dst;
}

/* Decimal text of x at dst; returns its length (<= INT_MAX_CHARS). */
static inline Py_ssize_t write_int(int64_t x, char *dst)
{
    char *p = dst;
    uint64_t u = (uint64_t)x;
    if (x < 0) {
        *p++ = '-';
        u = 0 - u;
    }
    const uint32_t len = decimal_length64(u);
    write_digits64(u, len, p);
    return (p - dst) + (Py_ssize_t)len;
}

/* ------------------------------------------------------------------------------------------- */
/* float_repr                                                                                   */

static PyObject *csvfast_float_repr(PyObject *module, PyObject *arg)
{
    (void)module;
    const double x = PyFloat_AsDouble(arg);
    if (x == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    char buf[FLOAT_MAX_CHARS + FLOAT_SLACK];
    const Py_ssize_t len = write_float(x, buf);
    return PyBytes_FromStringAndSize(buf, len);
}

/* ------------------------------------------------------------------------------------------- */
/* render_rows                                                                                  */

enum column_kind { KIND_FLOAT, KIND_INT, KIND_BYTES };

typedef struct {
    enum column_kind kind;
    const char *values;  /* KIND_FLOAT / KIND_INT: first element */
    Py_ssize_t stride;   /* bytes between elements */
    const char *present; /* NULL: every cell present */
    Py_ssize_t present_stride;
    PyObject *const *cells; /* KIND_BYTES: items of the tuple in `owner` */
    Py_buffer values_view;
    Py_buffer present_view;
    int has_values_view;
    int has_present_view;
    PyObject *owner; /* KIND_BYTES: the tuple holding the cells */
} column;

typedef struct {
    Py_ssize_t row;
    PyObject *text; /* strong reference */
} override;

static void release_columns(column *cols, Py_ssize_t count)
{
    for (Py_ssize_t c = 0; c < count; ++c) {
        if (cols[c].has_values_view) {
            PyBuffer_Release(&cols[c].values_view);
        }
        if (cols[c].has_present_view) {
            PyBuffer_Release(&cols[c].present_view);
        }
        Py_XDECREF(cols[c].owner);
    }
}

static void release_overrides(override *ov, Py_ssize_t count)
{
    for (Py_ssize_t i = 0; i < count; ++i) {
        Py_DECREF(ov[i].text);
    }
}

/* The buffer format's type letter, after an optional byte-order prefix that means native order. */
static char native_format_letter(const char *format)
{
    if (format == NULL) {
        return 'B';
    }
    const unsigned int one = 1;
    const int little = *(const unsigned char *)&one == 1;
    if (format[0] == '@' || format[0] == '=' || (format[0] == '<' && little) ||
        ((format[0] == '>' || format[0] == '!') && !little)) {
        ++format;
    }
    if (format[0] == '\0' || format[1] != '\0') {
        return '\0';
    }
    return format[0];
}

/* Gets a 1-D strided buffer of n items of the expected kind into view; 0 on success. */
static int get_vector(PyObject *obj, Py_ssize_t n, Py_buffer *view, const char *letters,
                      Py_ssize_t itemsize, Py_ssize_t index, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_STRIDES | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "column %zd: %s must be a 1-D buffer (e.g. a numpy array), not %.100s", index,
                     what, Py_TYPE(obj)->tp_name);
        return -1;
    }
    const char letter = native_format_letter(view->format);
    if (view->ndim != 1 || view->itemsize != itemsize || letter == '\0' ||
        strchr(letters, letter) == NULL) {
        PyErr_Format(PyExc_TypeError,
                     "column %zd: %s must be 1-D with format %s and itemsize %zd, got ndim %d, "
                     "format '%s', itemsize %zd",
                     index, what, letters, itemsize, view->ndim,
                     view->format ? view->format : "B", view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    if (view->shape[0] != n) {
        PyErr_Format(PyExc_ValueError, "column %zd: %s has %zd items, expected %zd rows", index,
                     what, view->shape[0], n);
        PyBuffer_Release(view);
        return -1;
    }
    if (view->suboffsets != NULL && view->suboffsets[0] >= 0) {
        PyErr_Format(PyExc_TypeError, "column %zd: %s uses suboffsets (indirect buffer)", index,
                     what);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Adds b to *total unless that overflows; 0 on success. */
static int add_size(size_t *total, size_t b)
{
    if (*total > (size_t)PY_SSIZE_T_MAX - b) {
        PyErr_SetString(PyExc_OverflowError, "render_rows: output too large");
        return -1;
    }
    *total += b;
    return 0;
}

/* Fills cols[index] from one column spec; adds its text bound over all rows to *bound. */
static int parse_column(PyObject *spec, Py_ssize_t n, Py_ssize_t index, column *col, size_t *bound)
{
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) < 2) {
        PyErr_Format(PyExc_TypeError,
                     "column %zd: expected a tuple (kind, ...), not %.100s", index,
                     Py_TYPE(spec)->tp_name);
        return -1;
    }
    PyObject *kind_obj = PyTuple_GET_ITEM(spec, 0);
    const char *kind = PyUnicode_Check(kind_obj) ? PyUnicode_AsUTF8(kind_obj) : NULL;
    if (kind == NULL || kind[0] == '\0' || kind[1] != '\0' || strchr("fib", kind[0]) == NULL) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "column %zd: kind must be 'f', 'i' or 'b', got %R", index,
                     kind_obj);
        return -1;
    }
    const Py_ssize_t size = PyTuple_GET_SIZE(spec);

    if (kind[0] == 'b') {
        if (size != 2) {
            PyErr_Format(PyExc_TypeError, "column %zd: a 'b' column is ('b', cells)", index);
            return -1;
        }
        col->kind = KIND_BYTES;
        /* A tuple: nobody can change it (or free its items) while the GIL is released. */
        PyObject *cells = PySequence_Tuple(PyTuple_GET_ITEM(spec, 1));
        if (cells == NULL) {
            return -1;
        }
        col->owner = cells;
        if (PyTuple_GET_SIZE(cells) != n) {
            PyErr_Format(PyExc_ValueError, "column %zd: %zd cells, expected %zd rows", index,
                         PyTuple_GET_SIZE(cells), n);
            return -1;
        }
        col->cells = &PyTuple_GET_ITEM(cells, 0);
        for (Py_ssize_t i = 0; i < n; ++i) {
            PyObject *cell = col->cells[i];
            if (!PyBytes_Check(cell)) {
                PyErr_Format(PyExc_TypeError, "column %zd, row %zd: cells must be bytes, not %.100s",
                             index, i, Py_TYPE(cell)->tp_name);
                return -1;
            }
            if (add_size(bound, (size_t)PyBytes_GET_SIZE(cell)) < 0) {
                return -1;
            }
        }
        return 0;
    }

    if (size != 3) {
        PyErr_Format(PyExc_TypeError, "column %zd: a '%s' column is ('%s', values, present)",
                     index, kind, kind);
        return -1;
    }
    const int is_float = kind[0] == 'f';
    col->kind = is_float ? KIND_FLOAT : KIND_INT;
    if (get_vector(PyTuple_GET_ITEM(spec, 1), n, &col->values_view, is_float ? "d" : "ql",
                   8, index, is_float ? "values (float64)" : "values (int64)") < 0) {
        return -1;
    }
    col->has_values_view = 1;
    col->values = col->values_view.buf;
    col->stride = col->values_view.strides[0];

    PyObject *present = PyTuple_GET_ITEM(spec, 2);
    if (present != Py_None) {
        if (get_vector(present, n, &col->present_view, "?Bb", 1, index, "present (bool)") < 0) {
            return -1;
        }
        col->has_present_view = 1;
        col->present = col->present_view.buf;
        col->present_stride = col->present_view.strides[0];
    }
    if ((size_t)n > (size_t)PY_SSIZE_T_MAX / FLOAT_MAX_CHARS) {
        PyErr_SetString(PyExc_OverflowError, "render_rows: output too large");
        return -1;
    }
    return add_size(bound, (size_t)n * (is_float ? FLOAT_MAX_CHARS : INT_MAX_CHARS));
}

static int compare_overrides(const void *a, const void *b)
{
    const Py_ssize_t ra = ((const override *)a)->row;
    const Py_ssize_t rb = ((const override *)b)->row;
    return (ra > rb) - (ra < rb);
}

/* Copies the overrides mapping into a sorted array holding its own references. */
static int parse_overrides(PyObject *mapping, Py_ssize_t n, override **out, Py_ssize_t *count,
                           size_t *bound)
{
    *out = NULL;
    *count = 0;
    if (mapping == Py_None) {
        return 0;
    }
    if (!PyDict_Check(mapping)) {
        PyErr_Format(PyExc_TypeError, "overrides must be a dict or None, not %.100s",
                     Py_TYPE(mapping)->tp_name);
        return -1;
    }
    PyObject *items = PyDict_Items(mapping); /* a private snapshot */
    if (items == NULL) {
        return -1;
    }
    const Py_ssize_t size = PyList_GET_SIZE(items);
    override *ov = PyMem_Malloc((size_t)(size > 0 ? size : 1) * sizeof(override));
    if (ov == NULL) {
        Py_DECREF(items);
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t filled = 0;
    for (Py_ssize_t i = 0; i < size; ++i) {
        PyObject *pair = PyList_GET_ITEM(items, i);
        PyObject *key = PyTuple_GET_ITEM(pair, 0);
        PyObject *text = PyTuple_GET_ITEM(pair, 1);
        PyObject *index = PyNumber_Index(key);
        if (index == NULL) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "overrides: keys must be row numbers (int), not %.100s",
                         Py_TYPE(key)->tp_name);
            goto fail;
        }
        const Py_ssize_t row = PyLong_AsSsize_t(index);
        Py_DECREF(index);
        if (row == -1 && PyErr_Occurred()) {
            PyErr_Clear(); /* beyond Py_ssize_t: out of range below */
        }
        if (row < 0 || row >= n) {
            PyErr_Format(PyExc_ValueError, "overrides: row %R out of range for %zd rows", key, n);
            goto fail;
        }
        if (!PyBytes_Check(text)) {
            PyErr_Format(PyExc_TypeError, "overrides: row %zd text must be bytes, not %.100s", row,
                         Py_TYPE(text)->tp_name);
            goto fail;
        }
        if (add_size(bound, (size_t)PyBytes_GET_SIZE(text)) < 0) {
            goto fail;
        }
        Py_INCREF(text);
        ov[filled].row = row;
        ov[filled].text = text;
        ++filled;
    }
    Py_DECREF(items);
    qsort(ov, (size_t)filled, sizeof(override), compare_overrides);
    *out = ov;
    *count = filled;
    return 0;

fail:
    Py_DECREF(items);
    release_overrides(ov, filled);
    PyMem_Free(ov);
    return -1;
}

/* Writes the rows into out (large enough); returns the end. Runs without the GIL. */
static char *write_rows(char *out, Py_ssize_t n, const column *cols, Py_ssize_t ncols,
                        const override *ov, Py_ssize_t nov)
{
    char *p = out;
    Py_ssize_t next = 0;
    for (Py_ssize_t i = 0; i < n; ++i) {
        if (next < nov && ov[next].row == i) {
            const Py_ssize_t len = PyBytes_GET_SIZE(ov[next].text);
            memcpy(p, PyBytes_AS_STRING(ov[next].text), (size_t)len);
            p += len;
            ++next;
        }
        else {
            for (Py_ssize_t c = 0; c < ncols; ++c) {
                const column *col = &cols[c];
                if (c > 0) {
                    *p++ = ',';
                }
                if (col->kind == KIND_BYTES) {
                    PyObject *cell = col->cells[i];
                    const Py_ssize_t len = PyBytes_GET_SIZE(cell);
                    memcpy(p, PyBytes_AS_STRING(cell), (size_t)len);
                    p += len;
                    continue;
                }
                if (col->present != NULL && !col->present[i * col->present_stride]) {
                    continue;
                }
                const char *item = col->values + i * col->stride;
                if (col->kind == KIND_FLOAT) {
                    double x;
                    memcpy(&x, item, sizeof x);
                    p += write_float(x, p);
                }
                else {
                    int64_t x;
                    memcpy(&x, item, sizeof x);
                    p += write_int(x, p);
                }
            }
        }
        p[0] = '\r';
        p[1] = '\n';
        p += 2;
    }
    return p;
}

static PyObject *csvfast_render_rows(PyObject *module, PyObject *args, PyObject *kwargs)
{
    (void)module;
    static char *keywords[] = {"n", "columns", "overrides", NULL};
    Py_ssize_t n;
    PyObject *columns_obj;
    PyObject *overrides_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "nO|O:render_rows", keywords, &n, &columns_obj,
                                     &overrides_obj)) {
        return NULL;
    }
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "render_rows: n must be >= 0");
        return NULL;
    }
    PyObject *columns = PySequence_Tuple(columns_obj);
    if (columns == NULL) {
        return NULL;
    }
    const Py_ssize_t ncols = PyTuple_GET_SIZE(columns);
    column *cols = PyMem_Calloc((size_t)(ncols > 0 ? ncols : 1), sizeof(column));
    override *ov = NULL;
    Py_ssize_t nov = 0;
    Py_ssize_t parsed = 0;
    PyObject *result = NULL;
    size_t bound = 0;
    if (cols == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; parsed < ncols; ++parsed) {
        if (parse_column(PyTuple_GET_ITEM(columns, parsed), n, parsed, &cols[parsed], &bound) < 0) {
            ++parsed; /* release what that column got */
            goto done;
        }
    }
    if (parse_overrides(overrides_obj, n, &ov, &nov, &bound) < 0) {
        goto done;
    }
    /* Separators and "\r\n": (ncols - 1) + 2 per row at most. */
    const size_t per_row = (size_t)(ncols > 0 ? ncols : 1) + 1;
    if ((size_t)n > ((size_t)PY_SSIZE_T_MAX - bound) / per_row) {
        PyErr_SetString(PyExc_OverflowError, "render_rows: output too large");
        goto done;
    }
    bound += (size_t)n * per_row;
    if (bound > (size_t)PY_SSIZE_T_MAX - FLOAT_SLACK) {
        PyErr_SetString(PyExc_OverflowError, "render_rows: output too large");
        goto done;
    }
    bound += FLOAT_SLACK;

    /* The result is written in place into a bytes object of the upper bound, then shrunk: one
     * pass over the text, no copy.  Nobody else can see the object until it is returned. */
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)bound);
    if (result == NULL) {
        goto done;
    }
    char *start = PyBytes_AS_STRING(result);
    char *end;
    if (bound < GIL_RELEASE_BYTES) {
        end = write_rows(start, n, cols, ncols, ov, nov);
    }
    else {
        Py_BEGIN_ALLOW_THREADS
        end = write_rows(start, n, cols, ncols, ov, nov);
        Py_END_ALLOW_THREADS
    }
    if (_PyBytes_Resize(&result, end - start) < 0) {
        result = NULL;
    }

done:
    if (cols != NULL) {
        release_columns(cols, parsed);
        PyMem_Free(cols);
    }
    if (ov != NULL) {
        release_overrides(ov, nov);
        PyMem_Free(ov);
    }
    Py_DECREF(columns);
    return result;
}

/* ------------------------------------------------------------------------------------------- */
/* pldata framing and column gather                                                             */
/*
 * The byte-level loops of reading .pldata files (gazeport.formats.pldata / datum_columns); every
 * decision (which layouts exist, which columns a layout fills, what is irregular) stays in Python.
 *
 * frame_records(buf) follows the chain of msgpack [str, bin] records from the start of a block
 * exactly as pldata._frame does (the pure path, which is the specification): a record is 0x92, a
 * str header (fixstr, str8/16/32) with its bytes, a bin header (bin8/16/32) with its bytes.
 * Bytes past the end of the block read as 0, the checks run in the same order, so the status
 * ("end", "incomplete", "invalid") and the stop offset are the pure path's.
 *
 * gather_slots(...) takes equal-length datums (offsets into a few buffers), tells which are
 * byte-identical to a template outside a mask, and copies the big-endian float slots of those
 * into a float64 matrix, one row per slot, in one pass and without the GIL.
 */

/* An int64 vector argument (C-contiguous, 8-byte integer items), as view->buf / *count. */
static int pl_int64_view(PyObject *obj, Py_buffer *view, const char *what, Py_ssize_t *count)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        return -1;
    }
    const char *f = view->format ? view->format : "B";
    if (*f == '<' || *f == '=' || *f == '@') {
        ++f;
    }
    if (view->itemsize != 8 || (f[0] != 'q' && f[0] != 'l') || f[1] != '\0' || view->ndim > 1) {
        PyErr_Format(PyExc_TypeError, "%s must be a 1-D int64 buffer (format '%s', itemsize %zd)",
                     what, view->format ? view->format : "B", view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    *count = view->len / 8;
    return 0;
}

/* Byte i of a block of n bytes, 0 past its end (the pure path pads the block with zeros). */
static inline int64_t pl_byte(const unsigned char *b, int64_t n, int64_t i)
{
    return i < n ? (int64_t)b[i] : 0;
}

static inline int64_t pl_be(const unsigned char *b, int64_t n, int64_t pos, int width)
{
    int64_t v = 0;
    for (int k = 0; k < width; ++k) {
        v = (v << 8) | pl_byte(b, n, pos + k);
    }
    return v;
}

typedef struct {
    int64_t topic_off, topic_len, payload_off, payload_len;
} pl_record;

enum { PL_END = 0, PL_INCOMPLETE = 1, PL_INVALID = 2, PL_NOMEM = 3 };

/* Frames the records of b[0:n] into *out (grown with realloc; *count records). */
static int pl_frame(const unsigned char *b, int64_t n, pl_record **out, size_t *count,
                    int64_t *stop)
{
    size_t cap = 0;
    *count = 0;
    *stop = 0;
    if (n < 2) {
        return PL_INCOMPLETE;
    }
    if (b[0] != 0x92) {
        return PL_INVALID;
    }
    int64_t pos = 0;
    for (;;) {
        const int64_t h = pl_byte(b, n, pos + 1);
        int64_t thdr = -1, tlen = 0;
        if (h >= 0xA0 && h <= 0xBF) {
            thdr = 1;
            tlen = h & 0x1F;
        }
        else if (h >= 0xD9 && h <= 0xDB) {
            const int width = h == 0xD9 ? 1 : (h == 0xDA ? 2 : 4);
            thdr = 1 + width;
            tlen = pl_be(b, n, pos + 2, width);
        }
        const int64_t tw = thdr > 0 ? thdr : 1;
        const int64_t q = pos + 1 + tw + tlen;
        const int64_t c = pl_byte(b, n, q);
        int64_t bhdr = -1, plen = 0;
        if (c >= 0xC4 && c <= 0xC6) {
            const int width = c == 0xC4 ? 1 : (c == 0xC5 ? 2 : 4);
            bhdr = 1 + width;
            plen = pl_be(b, n, q + 1, width);
        }
        const int64_t bw = bhdr > 0 ? bhdr : 1;
        const int64_t next = q + bw + plen;
        if (pos + 2 > n || pos + 1 + tw > n || q + 1 > n || q + bw > n || next > n) {
            *stop = pos;
            return PL_INCOMPLETE;
        }
        if (thdr < 0 || bhdr < 0) {
            *stop = pos;
            return PL_INVALID;
        }
        if (*count == cap) {
            const size_t grown = cap ? 2 * cap : 1024;
            pl_record *p = realloc(*out, grown * sizeof(pl_record));
            if (p == NULL) {
                return PL_NOMEM;
            }
            *out = p;
            cap = grown;
        }
        pl_record *r = &(*out)[(*count)++];
        r->topic_off = pos + 1 + thdr;
        r->topic_len = tlen;
        r->payload_off = q + bhdr;
        r->payload_len = plen;
        if (next == n) {
            *stop = n;
            return PL_END;
        }
        if (b[next] != 0x92) {
            *stop = next;
            return PL_INVALID;
        }
        pos = next;
    }
}

static PyObject *csvfast_frame_records(PyObject *module, PyObject *arg)
{
    (void)module;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    pl_record *recs = NULL;
    size_t count = 0;
    int64_t stop = 0;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = pl_frame(view.buf, (int64_t)view.len, &recs, &count, &stop);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (status == PL_NOMEM) {
        free(recs);
        return PyErr_NoMemory();
    }
    PyObject *table = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count * 4 * sizeof(int64_t)));
    if (table == NULL) {
        free(recs);
        return NULL;
    }
    int64_t *t = (int64_t *)PyBytes_AS_STRING(table);
    for (size_t i = 0; i < count; ++i) {
        t[i] = recs[i].topic_off;
        t[count + i] = recs[i].topic_len;
        t[2 * count + i] = recs[i].payload_off;
        t[3 * count + i] = recs[i].payload_len;
    }
    free(recs);
    static const char *const names[] = {"end", "incomplete", "invalid"};
    return Py_BuildValue("(NLs)", table, (long long)stop, names[status]);
}

static inline uint64_t pl_load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline double pl_be_f64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int k = 0; k < 8; ++k) {
        u = (u << 8) | p[k];
    }
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static inline double pl_be_f32(const unsigned char *p)
{
    uint32_t u = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    float f;
    memcpy(&f, &u, 4);
    return (double)f;
}

/* Row r matches the template where mask is nonzero (length bytes). Rows almost always match,
 * so the differences are OR-ed over blocks of four words (which the compiler vectorises) and
 * looked at once per block instead of after every word. */
static inline int pl_matches(const unsigned char *row, const unsigned char *tmpl,
                             const unsigned char *mask, Py_ssize_t length)
{
    Py_ssize_t i = 0;
    for (; i + 32 <= length; i += 32) {
        uint64_t diff = 0;
        for (int w = 0; w < 32; w += 8) {
            diff |= (pl_load64(row + i + w) ^ pl_load64(tmpl + i + w)) & pl_load64(mask + i + w);
        }
        if (diff) {
            return 0;
        }
    }
    uint64_t diff = 0;
    for (; i + 8 <= length; i += 8) {
        diff |= (pl_load64(row + i) ^ pl_load64(tmpl + i)) & pl_load64(mask + i);
    }
    for (; i < length; ++i) {
        diff |= (uint64_t)((row[i] ^ tmpl[i]) & mask[i]);
    }
    return diff == 0;
}

/* A writable 1-D C-contiguous output column of n items with format letter `letter`. */
static int pl_out_view(PyObject *obj, Py_buffer *view, char letter, Py_ssize_t itemsize,
                       Py_ssize_t *n)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        return -1;
    }
    const char *f = view->format ? view->format : "B";
    if (*f == '<' || *f == '=' || *f == '@') {
        ++f;
    }
    if (view->ndim != 1 || view->itemsize != itemsize || f[0] != letter || f[1] != '\0' ||
        (*n >= 0 && view->shape[0] != *n)) {
        PyErr_Format(PyExc_TypeError,
                     "gather_slots: output columns must be 1-D, format '%c' and all as long "
                     "(got format '%s', %zd items)", letter,
                     view->format ? view->format : "B", view->ndim == 1 ? view->shape[0] : -1);
        PyBuffer_Release(view);
        view->obj = NULL;
        return -1;
    }
    *n = view->shape[0];
    return 0;
}

static PyObject *csvfast_gather_slots(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *buffers_obj, *buf_id_obj, *offsets_obj, *rows_obj, *slots_obj;
    PyObject *columns_obj = Py_None, *target_obj = Py_None;
    Py_buffer tmpl, mask;
    if (!PyArg_ParseTuple(args, "OOOOy*y*O|OO:gather_slots", &buffers_obj, &buf_id_obj,
                          &offsets_obj, &rows_obj, &tmpl, &mask, &slots_obj, &columns_obj,
                          &target_obj)) {
        return NULL;
    }
    PyObject *result = NULL, *same = NULL, *values = NULL, *buffers = NULL, *columns = NULL;
    Py_buffer buf_id = {0}, offsets = {0}, rows = {0}, slots = {0}, target = {0};
    Py_buffer *views = NULL, *outs = NULL;
    const unsigned char **ptrs = NULL;
    double **out_values = NULL;
    unsigned char **out_present = NULL;
    Py_ssize_t nbuf = 0, nid = 0, noff = 0, nrows = 0, nslots = 0, ntarget = 0, nout = -1;
    Py_ssize_t nviews_out = 0;
    const Py_ssize_t length = tmpl.len;

    /* A tuple: its items stay alive however the caller's list changes. */
    buffers = PySequence_Tuple(buffers_obj);
    if (buffers == NULL || pl_int64_view(buf_id_obj, &buf_id, "buf_id", &nid) < 0) {
        goto done;
    }
    if (pl_int64_view(offsets_obj, &offsets, "offsets", &noff) < 0) {
        goto done;
    }
    if (pl_int64_view(rows_obj, &rows, "rows", &nrows) < 0) {
        goto done;
    }
    if (pl_int64_view(slots_obj, &slots, "slots", &nslots) < 0) {
        goto done;
    }
    if (nid != noff || mask.len != length || nslots % 2 != 0) {
        PyErr_SetString(PyExc_ValueError,
                        "gather_slots: buf_id and offsets differ in length, the mask is not as "
                        "long as the template, or slots are not (offset, width) pairs");
        goto done;
    }
    nslots /= 2;
    const int64_t *slot = slots.buf;
    for (Py_ssize_t j = 0; j < nslots; ++j) {
        const int64_t off = slot[2 * j], width = slot[2 * j + 1];
        if ((width != 8 && width != 4) || off < 0 || off > (int64_t)length - width) {
            PyErr_Format(PyExc_ValueError,
                         "gather_slots: slot %zd (offset %lld, width %lld) is not a 4- or 8-byte "
                         "float inside the %zd-byte datum",
                         j, (long long)off, (long long)width, length);
            goto done;
        }
    }
    if ((columns_obj == Py_None) != (target_obj == Py_None)) {
        PyErr_SetString(PyExc_TypeError, "gather_slots: give both columns and target, or neither");
        goto done;
    }
    if (columns_obj != Py_None) {
        /* Write into the caller's columns instead of returning the values. */
        columns = PySequence_Tuple(columns_obj);
        if (columns == NULL || pl_int64_view(target_obj, &target, "target", &ntarget) < 0) {
            goto done;
        }
        if (PyTuple_GET_SIZE(columns) != nslots || ntarget != nrows) {
            PyErr_SetString(PyExc_ValueError,
                            "gather_slots: one (values, present) column per slot and one target "
                            "per row are needed");
            goto done;
        }
        outs = PyMem_Calloc(2 * (size_t)nslots + 1, sizeof(Py_buffer));
        out_values = PyMem_Calloc((size_t)nslots + 1, sizeof(double *));
        out_present = PyMem_Calloc((size_t)nslots + 1, sizeof(unsigned char *));
        if (outs == NULL || out_values == NULL || out_present == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t j = 0; j < nslots; ++j) {
            PyObject *pair = PyTuple_GET_ITEM(columns, j);
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
                PyErr_SetString(PyExc_TypeError, "gather_slots: columns are (values, present)");
                goto done;
            }
            if (pl_out_view(PyTuple_GET_ITEM(pair, 0), &outs[nviews_out], 'd', 8, &nout) < 0) {
                goto done;
            }
            out_values[j] = outs[nviews_out++].buf;
            if (pl_out_view(PyTuple_GET_ITEM(pair, 1), &outs[nviews_out], '?', 1, &nout) < 0) {
                goto done;
            }
            out_present[j] = outs[nviews_out++].buf;
        }
        const int64_t *tg = target.buf;
        for (Py_ssize_t r = 0; r < nrows; ++r) {
            if (tg[r] < 0 || (nslots && tg[r] >= nout)) {
                PyErr_Format(PyExc_IndexError, "gather_slots: target row %lld is outside the "
                             "columns", (long long)tg[r]);
                goto done;
            }
        }
    }
    nbuf = PyTuple_GET_SIZE(buffers);
    views = PyMem_Calloc(nbuf ? (size_t)nbuf : 1, sizeof(Py_buffer));
    ptrs = PyMem_Malloc(nrows ? (size_t)nrows * sizeof(*ptrs) : 1);
    if (views == NULL || ptrs == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const int64_t *row = rows.buf, *bid = buf_id.buf, *off = offsets.buf;
    for (Py_ssize_t r = 0; r < nrows; ++r) {
        const int64_t i = row[r];
        if (i < 0 || i >= nid || bid[i] < 0 || bid[i] >= nbuf) {
            PyErr_Format(PyExc_IndexError,
                         "gather_slots: row %lld is not a datum, or names no buffer", (long long)i);
            goto done;
        }
        Py_buffer *v = &views[bid[i]];
        if (v->obj == NULL &&
            PyObject_GetBuffer(PyTuple_GET_ITEM(buffers, bid[i]), v, PyBUF_SIMPLE) < 0) {
            v->obj = NULL;
            goto done;
        }
        if (off[i] < 0 || off[i] > (int64_t)v->len - (int64_t)length) {
            PyErr_Format(PyExc_IndexError,
                         "gather_slots: datum %lld (%zd bytes at offset %lld) runs past its "
                         "buffer of %zd bytes", (long long)i, length, (long long)off[i], v->len);
            goto done;
        }
        ptrs[r] = (const unsigned char *)v->buf + off[i];
    }
    if ((size_t)nrows > (size_t)PY_SSIZE_T_MAX / 8 / (nslots ? (size_t)nslots : 1)) {
        PyErr_NoMemory();
        goto done;
    }
    same = PyBytes_FromStringAndSize(NULL, nrows);
    values = PyBytes_FromStringAndSize(NULL, columns != NULL ? 0 : nrows * nslots * 8);
    if (same == NULL || values == NULL) {
        goto done;
    }
    Py_ssize_t m = 0;
    {
        unsigned char *flag = (unsigned char *)PyBytes_AS_STRING(same);
        double *out = (double *)PyBytes_AS_STRING(values);
        const unsigned char *t = tmpl.buf, *k = mask.buf;
        const int64_t *tg = target.buf;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t r = 0; r < nrows; ++r) {
            const unsigned char *p = ptrs[r];
            const int ok = pl_matches(p, t, k, length);
            flag[r] = (unsigned char)ok;
            if (!ok) {
                continue;
            }
            if (out_values != NULL) {
                for (Py_ssize_t j = 0; j < nslots; ++j) {
                    const unsigned char *s = p + slot[2 * j];
                    out_values[j][tg[r]] = slot[2 * j + 1] == 8 ? pl_be_f64(s) : pl_be_f32(s);
                    out_present[j][tg[r]] = 1;
                }
                continue;
            }
            for (Py_ssize_t j = 0; j < nslots; ++j) {
                const unsigned char *s = p + slot[2 * j];
                out[j * nrows + m] = slot[2 * j + 1] == 8 ? pl_be_f64(s) : pl_be_f32(s);
            }
            ++m;
        }
        /* Slot j's values are at out[j * nrows]; close the gaps to (nslots, m). */
        for (Py_ssize_t j = 1; out_values == NULL && j < nslots && m < nrows; ++j) {
            memmove(out + j * m, out + j * nrows, (size_t)m * sizeof(double));
        }
        Py_END_ALLOW_THREADS
    }
    if (columns == NULL && _PyBytes_Resize(&values, m * nslots * 8) < 0) {
        goto done; /* values is NULL now */
    }
    result = PyTuple_Pack(2, same, values);

done:
    Py_XDECREF(same);
    Py_XDECREF(values);
    if (views != NULL) {
        for (Py_ssize_t b = 0; b < nbuf; ++b) {
            if (views[b].obj != NULL) {
                PyBuffer_Release(&views[b]);
            }
        }
        PyMem_Free(views);
    }
    PyMem_Free(ptrs);
    if (outs != NULL) {
        for (Py_ssize_t b = 0; b < nviews_out; ++b) {
            PyBuffer_Release(&outs[b]);
        }
        PyMem_Free(outs);
    }
    PyMem_Free(out_values);
    PyMem_Free(out_present);
    if (target.obj != NULL) {
        PyBuffer_Release(&target);
    }
    Py_XDECREF(columns);
    if (slots.obj != NULL) {
        PyBuffer_Release(&slots);
    }
    if (rows.obj != NULL) {
        PyBuffer_Release(&rows);
    }
    if (offsets.obj != NULL) {
        PyBuffer_Release(&offsets);
    }
    if (buf_id.obj != NULL) {
        PyBuffer_Release(&buf_id);
    }
    Py_XDECREF(buffers);
    PyBuffer_Release(&mask);
    PyBuffer_Release(&tmpl);
    return result;
}

/* ------------------------------------------------------------------------------------------- */
/* Module                                                                                       */

static PyMethodDef csvfast_methods[] = {
    {"float_repr", csvfast_float_repr, METH_O,
     "float_repr(x, /)\n--\n\nrepr(x).encode() for a float, by Ryu's shortest digits."},
    {"render_rows", (PyCFunction)(void (*)(void))csvfast_render_rows,
     METH_VARARGS | METH_KEYWORDS,
     "render_rows(n, columns, overrides=None)\n--\n\n"
     "CSV text of n rows: cells joined by ',' and rows ended by '\\r\\n'.\n\n"
     "columns: ('f', float64 values, bool present or None), ('i', int64 values, present or None)\n"
     "or ('b', n bytes cells written verbatim). overrides: {row: full row text} replacing rows.\n"
     "Formatting runs without the GIL."},
    /* pldata framing and column gather */
    {"frame_records", csvfast_frame_records, METH_O,
     "frame_records(buf, /)\n--\n\n"
     "The complete [str, bin] msgpack records from the start of a pldata block: (table, stop,\n"
     "status). table: int64 topic offsets, topic lengths, payload offsets, payload lengths, one\n"
     "block after the other; status 'end', 'incomplete' or 'invalid' as pldata._frame."},
    {"gather_slots", csvfast_gather_slots, METH_VARARGS,
     "gather_slots(buffers, buf_id, offsets, rows, template, mask, slots, columns=None,\n"
     "             target=None, /)\n--\n\n"
     "(same, values): same[r] is 1 where datum rows[r] equals template wherever mask is nonzero;\n"
     "values holds as float64, slot by slot (shape (len(slots), matches)), the big-endian float\n"
     "slots ((offset, width) int64 pairs, width 8 or 4) of the matching datums. No GIL held.\n"
     "With columns (one (float64 values, bool present) pair per slot) and target (int64, one\n"
     "output row per row): slot j of rows[r] goes to values[target[r]], present set, and the\n"
     "returned values are b''."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot csvfast_slots[] = {
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    /* No module state; shared inputs are snapshotted (tuples, dict items) before use. */
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef csvfast_module = {
    PyModuleDef_HEAD_INIT,
    "gazeport._csvfast",
    "Formatting half of the CSV export: repr-exact floats (Ryu) and CSV row framing.",
    0,
    csvfast_methods,
    csvfast_slots,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__csvfast(void)
{
    return PyModuleDef_Init(&csvfast_module);
}
