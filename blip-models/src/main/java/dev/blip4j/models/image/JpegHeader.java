package dev.blip4j.models.image;

import java.io.EOFException;
import java.io.IOException;
import javax.imageio.stream.ImageInputStream;

/**
 * What a JPEG's markers say before the first scan: frame size, component count and ids, and the
 * JFIF / Adobe markers that decide the colour space.
 *
 * <p>The JPEG path decodes the raw (upsampled but not colour-converted) samples and converts them
 * itself, because the colour transform is where Java's readers and Pillow part ways: TwelveMonkeys
 * applies embedded ICC profiles and converts CMYK through a colour profile, while Pillow (libjpeg)
 * applies the plain JFIF equations and leaves profiles alone. Knowing the colour space requires the
 * same guesses libjpeg makes in {@code default_decompress_parms}, hence this parser.
 *
 * @param width frame width from SOFn
 * @param height frame height from SOFn (0 if given later by DNL, which nobody uses)
 * @param precision bits per sample (8 for almost every file)
 * @param componentIds the component identifiers in frame order; their count is the component count
 * @param sawJfif whether an APP0 "JFIF" marker preceded the frame
 * @param sawAdobe whether an APP14 "Adobe" marker preceded the frame
 * @param adobeTransform the Adobe marker's transform byte (0 none, 1 YCbCr, 2 YCCK), -1 if absent
 * @param exif payload of the first APP1 "Exif" segment after its 6-byte header, or {@code null}
 */
record JpegHeader(int width, int height, int precision, int[] componentIds, boolean sawJfif,
        boolean sawAdobe, int adobeTransform, byte[] exif) {

    /** The colour spaces libjpeg can assign to the decoded components. */
    enum ColorSpace { GRAYSCALE, YCBCR, RGB, CMYK, YCCK, UNKNOWN }

    int components() {
        return componentIds.length;
    }

    /**
     * The colour space libjpeg(-turbo) infers, following {@code default_decompress_parms}: JFIF means
     * YCbCr; an Adobe marker's transform decides between RGB/YCbCr or CMYK/YCCK; without markers,
     * component ids 'R','G','B' mean RGB, anything else YCbCr, and four components mean CMYK.
     */
    ColorSpace colorSpace() {
        switch (componentIds.length) {
            case 1:
                return ColorSpace.GRAYSCALE;
            case 3:
                if (sawJfif) {
                    return ColorSpace.YCBCR;
                }
                if (sawAdobe) {
                    return adobeTransform == 0 ? ColorSpace.RGB : ColorSpace.YCBCR;
                }
                if (componentIds[0] == 'R' && componentIds[1] == 'G' && componentIds[2] == 'B') {
                    return ColorSpace.RGB;
                }
                return ColorSpace.YCBCR;
            case 4:
                if (sawAdobe) {
                    return adobeTransform == 0 ? ColorSpace.CMYK : ColorSpace.YCCK;
                }
                return ColorSpace.CMYK;
            default:
                return ColorSpace.UNKNOWN;
        }
    }

    /**
     * Reads markers from the current position (the SOI) up to the first SOFn.
     *
     * @param wantExif keep the EXIF payload (up to 64 KiB) for orientation handling
     * @return the header, or {@code null} if the stream is not a JPEG or has no frame header
     * @throws EOFException if the stream ends inside the header
     */
    static JpegHeader read(ImageInputStream in, boolean wantExif) throws IOException {
        if (in.read() != 0xFF || in.read() != 0xD8) {
            return null;
        }
        boolean jfif = false;
        boolean adobe = false;
        int transform = -1;
        byte[] exif = null;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("JPEG ends before its frame header");
            }
            if (b != 0xFF) {
                continue; // garbage between segments; libjpeg skips it with a warning
            }
            int marker;
            do {
                marker = in.read();
            } while (marker == 0xFF);
            if (marker < 0) {
                throw new EOFException("JPEG ends before its frame header");
            }
            if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
                continue; // stand-alone markers carry no length
            }
            if (marker == 0xD9 || marker == 0xDA) {
                return null; // EOI or a scan before any frame header
            }
            int length = in.readUnsignedShort();
            if (length < 2) {
                return null;
            }
            long next = in.getStreamPosition() + length - 2;
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof) {
                int precision = in.readUnsignedByte();
                int height = in.readUnsignedShort();
                int width = in.readUnsignedShort();
                int n = in.readUnsignedByte();
                int[] ids = new int[n];
                for (int i = 0; i < n; i++) {
                    ids[i] = in.readUnsignedByte();
                    in.readUnsignedByte(); // sampling factors
                    in.readUnsignedByte(); // quantisation table
                }
                return new JpegHeader(width, height, precision, ids, jfif, adobe, transform, exif);
            }
            if (marker == 0xE0 && length >= 2 + 14) { // libjpeg needs APP0_DATA_LEN (14) bytes
                byte[] id = new byte[5];
                in.readFully(id);
                jfif |= id[0] == 'J' && id[1] == 'F' && id[2] == 'I' && id[3] == 'F' && id[4] == 0;
            } else if (marker == 0xEE && length >= 2 + 12) { // and APP14_DATA_LEN (12)
                byte[] id = new byte[12];
                in.readFully(id);
                if (id[0] == 'A' && id[1] == 'd' && id[2] == 'o' && id[3] == 'b' && id[4] == 'e') {
                    adobe = true;
                    transform = id[11] & 0xFF;
                }
            } else if (marker == 0xE1 && wantExif && exif == null && length >= 8) {
                byte[] id = new byte[6];
                in.readFully(id);
                if (id[0] == 'E' && id[1] == 'x' && id[2] == 'i' && id[3] == 'f' && id[4] == 0 && id[5] == 0) {
                    exif = new byte[length - 8];
                    in.readFully(exif);
                }
            }
            in.seek(next);
        }
    }
}
