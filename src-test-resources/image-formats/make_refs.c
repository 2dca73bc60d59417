/*
 * Makes the JPEG and WebP test files of src-test-resources/image/ and their reference decodes.
 *
 * The reference decodes are what Pillow 9.4 computes for Image.open(f).convert("RGB"):
 *  - JPEG through libjpeg-turbo with Pillow's decoder settings (JpegDecode.c: out_color_space GRAYSCALE / RGB / CMYK
 *    chosen from the component count, default DCT method and fancy upsampling), then for 4-component files
 *    Pillow's unconditional "CMYK;I" inversion and Convert.c's cmyk2rgb formula;
 *  - WebP through libwebp's RGBA decoder (Pillow's WebPAnimDecoder default), alpha dropped.
 * Pillow 9.4.0 wheels bundle libjpeg-turbo 2.1.4 and libwebp 1.2.4; this was linked against Debian 12's
 * libjpeg-turbo 2.1.5 and libwebp 1.2.4 (no decoder changes between 2.1.4 and 2.1.5).
 *
 * Build: gcc -O2 -o make_refs make_refs.c -ljpeg -l:libwebp.so.7
 * Run:   ./make_refs OUTDIR linear_rgb.icc
 *        (linear_rgb.icc: Java's built-in ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData(); any
 *        non-sRGB profile shows the same thing - Pillow does not apply embedded profiles)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <jpeglib.h>

/* libwebp prototypes (only the runtime library is installed, no headers) */
size_t WebPEncodeRGB(const uint8_t *rgb, int w, int h, int stride, float q, uint8_t **out);
size_t WebPEncodeRGBA(const uint8_t *rgba, int w, int h, int stride, float q, uint8_t **out);
size_t WebPEncodeLosslessRGB(const uint8_t *rgb, int w, int h, int stride, uint8_t **out);
uint8_t *WebPDecodeRGBA(const uint8_t *data, size_t size, int *w, int *h);
void WebPFree(void *ptr);

#define W 96
#define H 64

static uint8_t rgb[W * H * 3];
static uint8_t rgba[W * H * 4];
static uint8_t cmyk[W * H * 4];
static uint8_t gray[W * H];

static void synth(void) {
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            int r = x * 255 / (W - 1);
            int g = y * 255 / (H - 1);
            int b = ((x * 7 + y * 13) % 64) * 4;
            /* a few hard edges and a saturated block */
            if (x >= 20 && x < 44 && y >= 10 && y < 30) { r = 250; g = 10; b = 20; }
            if ((x / 8 + y / 8) % 2 == 0 && x >= 60) { r = 255 - r; g = 255 - g; }
            if (y == 50) { r = g = b = 0; }
            uint8_t *p = &rgb[(y * W + x) * 3];
            p[0] = r; p[1] = g; p[2] = b;
            uint8_t *q = &rgba[(y * W + x) * 4];
            q[0] = r; q[1] = g; q[2] = b; q[3] = (uint8_t)((x < 16) ? 0 : (x * 255 / (W - 1)));
            int c = 255 - r, m = 255 - g, ye = 255 - b;
            int k = c < m ? c : m;
            k = (k < ye ? k : ye) / 2;
            uint8_t *s = &cmyk[(y * W + x) * 4];
            s[0] = c; s[1] = m; s[2] = ye; s[3] = k;
            gray[y * W + x] = (uint8_t)((r * 299 + g * 587 + b * 114) / 1000);
        }
    }
}

static void write_file(const char *dir, const char *name, const uint8_t *data, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    fwrite(data, 1, n, f);
    fclose(f);
}

static void write_ppm(const char *dir, const char *name, const uint8_t *data, int w, int h) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    fprintf(f, "P6\n%d %d\n255\n", w, h);
    fwrite(data, 1, (size_t)w * h * 3, f);
    fclose(f);
}

enum kind { K_420, K_422, K_440, K_444_PROG, K_GRAY, K_YCCK, K_CMYK };

static const uint8_t *icc_data = NULL;
static size_t icc_size = 0;

static void encode_jpeg_icc(const char *dir, const char *name, enum kind kind, int quality, int with_icc);

static void encode_jpeg(const char *dir, const char *name, enum kind kind, int quality) {
    encode_jpeg_icc(dir, name, kind, quality, 0);
}

static void encode_jpeg_icc(const char *dir, const char *name, enum kind kind, int quality, int with_icc) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *buf = NULL;
    unsigned long size = 0;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &buf, &size);
    c.image_width = W;
    c.image_height = H;
    const uint8_t *src;
    int comps;
    if (kind == K_GRAY) { c.input_components = 1; c.in_color_space = JCS_GRAYSCALE; src = gray; comps = 1; }
    else if (kind == K_YCCK || kind == K_CMYK) { c.input_components = 4; c.in_color_space = JCS_CMYK; src = cmyk; comps = 4; }
    else { c.input_components = 3; c.in_color_space = JCS_RGB; src = rgb; comps = 3; }
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (kind == K_YCCK) jpeg_set_colorspace(&c, JCS_YCCK);
    if (kind == K_CMYK) jpeg_set_colorspace(&c, JCS_CMYK);
    if (kind == K_422) { c.comp_info[0].h_samp_factor = 2; c.comp_info[0].v_samp_factor = 1; }
    if (kind == K_440) { c.comp_info[0].h_samp_factor = 1; c.comp_info[0].v_samp_factor = 2; }
    if (kind == K_444_PROG) { c.comp_info[0].h_samp_factor = 1; c.comp_info[0].v_samp_factor = 1; jpeg_simple_progression(&c); }
    if (kind == K_YCCK) { c.comp_info[0].h_samp_factor = 2; c.comp_info[0].v_samp_factor = 2;
                          c.comp_info[3].h_samp_factor = 2; c.comp_info[3].v_samp_factor = 2; }
    jpeg_start_compress(&c, TRUE);
    if (with_icc && icc_data) jpeg_write_icc_profile(&c, icc_data, (unsigned int)icc_size);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)&src[c.next_scanline * W * comps];
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    write_file(dir, name, buf, size);
    free(buf);
}

/* Pillow's MULDIV255 and CLIP8 */
static int muldiv255(int a, int b) { int t = a * b + 128; return ((t >> 8) + t) >> 8; }
static int clip8(int v) { return v < 0 ? 0 : v > 255 ? 255 : v; }

static void decode_like_pillow(const char *dir, const char *name, const char *refname) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr err;
    d.err = jpeg_std_error(&err);
    jpeg_create_decompress(&d);
    jpeg_stdio_src(&d, f);
    jpeg_read_header(&d, TRUE);
    int comps = d.num_components;
    if (comps == 1) d.out_color_space = JCS_GRAYSCALE;
    else if (comps == 3) d.out_color_space = JCS_RGB;
    else d.out_color_space = JCS_CMYK;
    jpeg_start_decompress(&d);
    int w = d.output_width, h = d.output_height, oc = d.output_components;
    uint8_t *row = malloc((size_t)w * oc);
    uint8_t *out = malloc((size_t)w * h * 3);
    while (d.output_scanline < d.output_height) {
        int y = d.output_scanline;
        jpeg_read_scanlines(&d, &row, 1);
        for (int x = 0; x < w; x++) {
            uint8_t *o = &out[(y * w + x) * 3];
            if (oc == 1) { o[0] = o[1] = o[2] = row[x]; }
            else if (oc == 3) { memcpy(o, &row[x * 3], 3); }
            else {
                /* "CMYK;I": Pillow inverts every decoded component, then cmyk2rgb */
                int cc = 255 - row[x * 4], mm = 255 - row[x * 4 + 1], yy = 255 - row[x * 4 + 2], kk = 255 - row[x * 4 + 3];
                int nk = 255 - kk;
                o[0] = clip8(nk - muldiv255(cc, nk));
                o[1] = clip8(nk - muldiv255(mm, nk));
                o[2] = clip8(nk - muldiv255(yy, nk));
            }
        }
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    fclose(f);
    write_ppm(dir, refname, out, w, h);
    free(row);
    free(out);
}

static void webp_pair(const char *dir, const char *name, const char *refname, uint8_t *data, size_t size) {
    write_file(dir, name, data, size);
    int w, h;
    uint8_t *dec = WebPDecodeRGBA(data, size, &w, &h);
    if (!dec) { fprintf(stderr, "webp decode failed %s\n", name); exit(1); }
    uint8_t *out = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h; i++) memcpy(&out[i * 3], &dec[i * 4], 3);
    write_ppm(dir, refname, out, w, h);
    free(out);
    WebPFree(dec);
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) { fprintf(stderr, "usage: make_refs OUTDIR [ICC_PROFILE]\n"); return 2; }
    const char *dir = argv[1];
    if (argc == 3) {
        /* Any non-sRGB profile: Pillow ignores embedded profiles, Java's readers may apply them. */
        FILE *f = fopen(argv[2], "rb");
        if (!f) { perror(argv[2]); return 1; }
        static uint8_t buf[1 << 20];
        icc_size = fread(buf, 1, sizeof buf, f);
        fclose(f);
        icc_data = buf;
    }
    synth();
    write_ppm(dir, "source.ppm", rgb, W, H);

    struct { const char *name; enum kind kind; int q; } jpegs[] = {
        {"rgb420_q90.jpg", K_420, 90},
        {"rgb422_q75.jpg", K_422, 75},
        {"rgb440_q75.jpg", K_440, 75},
        {"rgb444_progressive_q85.jpg", K_444_PROG, 85},
        {"gray_q80.jpg", K_GRAY, 80},
        {"cmyk_adobe_ycck_q90.jpg", K_YCCK, 90},
        {"cmyk_adobe_plain_q90.jpg", K_CMYK, 90},
    };
    for (size_t i = 0; i < sizeof jpegs / sizeof jpegs[0]; i++) {
        encode_jpeg(dir, jpegs[i].name, jpegs[i].kind, jpegs[i].q);
        char ref[256];
        snprintf(ref, sizeof ref, "%s.ref.ppm", jpegs[i].name);
        decode_like_pillow(dir, jpegs[i].name, ref);
    }

    if (icc_data) {
        encode_jpeg_icc(dir, "rgb420_icc_linear_q90.jpg", K_420, 90, 1);
        decode_like_pillow(dir, "rgb420_icc_linear_q90.jpg", "rgb420_icc_linear_q90.jpg.ref.ppm");
    }

    uint8_t *out = NULL;
    size_t n = WebPEncodeRGB(rgb, W, H, W * 3, 80.0f, &out);
    webp_pair(dir, "lossy_q80.webp", "lossy_q80.webp.ref.ppm", out, n);
    WebPFree(out);
    n = WebPEncodeLosslessRGB(rgb, W, H, W * 3, &out);
    webp_pair(dir, "lossless.webp", "lossless.webp.ref.ppm", out, n);
    WebPFree(out);
    n = WebPEncodeRGBA(rgba, W, H, W * 4, 80.0f, &out);
    webp_pair(dir, "lossy_alpha_q80.webp", "lossy_alpha_q80.webp.ref.ppm", out, n);
    WebPFree(out);
    return 0;
}
