package dev.blip4j.capfilt;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.blip4j.core.BlipException;
import dev.blip4j.capfilt.CandidateRow.Source;
import dev.blip4j.models.image.ImageLoader;
import dev.blip4j.models.image.RgbImage;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;

/**
 * {@code report.json} and {@code report.html} of a CapFilt output: counts in and out by source, keep
 * ratios, ITM and ITC histograms, and (in the HTML) a sample of kept, removed and failed pairs with
 * their images, so that a person can judge the filter at a glance. The HTML is one self-contained
 * file: histograms are inline SVG and images small inline JPEG thumbnails.
 */
public final class CapFiltReport {

    public static final String JSON = "report.json";
    public static final String HTML = "report.html";

    /** Longest side of a thumbnail, in pixels. */
    public static final int THUMBNAIL = 128;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls()
            .create();

    private CapFiltReport() {}

    /**
     * The report's JSON text.
     *
     * @param run what produced the output (options, models, inputs), written first under {@code run}
     */
    public static String json(CapFiltSummary summary, JsonObject run) {
        JsonObject o = new JsonObject();
        o.add("run", run);
        for (Map.Entry<String, JsonElement> e : summary.toJson().entrySet()) {
            o.add(e.getKey(), e.getValue());
        }
        return GSON.toJson(o) + "\n";
    }

    /**
     * Thumbnails of the summary's example rows, read again from the inputs (only the example
     * samples' images are read), keyed by {@link #thumbnailKey}. An image that cannot be read again
     * simply has no thumbnail.
     */
    public static Map<String, String> thumbnails(List<InputFile> files, CapFiltSummary summary, ImageLoader loader) {
        Set<String> wanted = new HashSet<>();
        Set<String> keys = new HashSet<>();
        List<CandidateRow> rows = new ArrayList<>(summary.keptExamples());
        rows.addAll(summary.removedExamples());
        for (CandidateRow r : rows) {
            wanted.add(thumbnailKey(r.key(), r.image()));
            keys.add(r.key());
        }
        Map<String, String> out = new HashMap<>();
        SampleImages images = new SampleImages(loader, Duration.ofSeconds(30));
        for (InputFile f : files) {
            if (out.size() == wanted.size()) {
                break;
            }
            try (SampleIterator it = SampleReader.open(f, keys::contains)) {
                while (it.hasNext() && out.size() < wanted.size()) {
                    Sample s = it.next();
                    String k = thumbnailKey(s.key(), s.image());
                    if (s.error() != null || !wanted.contains(k) || out.containsKey(k)) {
                        continue;
                    }
                    try {
                        out.put(k, thumbnail(images.load(s)));
                    } catch (BlipException | IOException e) {
                        // no thumbnail for this one
                    }
                }
            }
        }
        return out;
    }

    /** How {@link #thumbnails} names an image. */
    public static String thumbnailKey(String key, String image) {
        return key + '\u0000' + image;
    }

    /** A JPEG data URI of the image scaled to at most {@link #THUMBNAIL} pixels a side. */
    static String thumbnail(RgbImage image) throws IOException {
        double scale = Math.min(1.0, (double) THUMBNAIL / Math.max(image.width(), image.height()));
        int w = Math.max(1, (int) Math.round(image.width() * scale));
        int h = Math.max(1, (int) Math.round(image.height() * scale));
        BufferedImage full = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                full.setRGB(x, y, image.rgb(x, y));
            }
        }
        BufferedImage small = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = small.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(full, 0, 0, w, h, null);
        g.dispose();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(small, "jpg", bytes)) {
            throw new IOException("no JPEG writer");
        }
        return "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    /** The report's HTML text. */
    public static String html(CapFiltSummary s, JsonObject run, double threshold, Map<String, String> thumbnails) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>CapFilt report</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}")
                .append(".grid{display:flex;flex-wrap:wrap;gap:12px}.card{width:200px;border:1px solid #ddd;")
                .append("padding:6px;font-size:13px}.card img{max-width:128px;max-height:128px;display:block;")
                .append("margin-bottom:4px}.web{color:#1f5fa8}.synthetic{color:#b35c00}.err{color:#a00}")
                .append("pre{background:#f7f7f7;padding:8px;font-size:12px}</style></head><body>\n")
                .append("<h1>CapFilt report</h1>\n<p>Captioner writes synthetic captions, the ITM filter keeps a text when")
                .append(" its match probability is at least <b>").append(fmt(threshold)).append("</b>.</p>\n");
        b.append("<h2>Counts</h2>\n<table><tr><th>source</th><th>in</th><th>scored</th><th>kept</th><th>removed</th>")
                .append("<th>errors</th><th>keep ratio</th></tr>\n");
        for (Source src : Source.values()) {
            countRow(b, src.label(), s.candidates(src), s.scored(src), s.kept(src), s.errors(src));
        }
        countRow(b, "all", s.candidates(Source.WEB) + s.candidates(Source.SYNTHETIC),
                s.scored(Source.WEB) + s.scored(Source.SYNTHETIC), s.kept(Source.WEB) + s.kept(Source.SYNTHETIC),
                s.errors(Source.WEB) + s.errors(Source.SYNTHETIC));
        b.append("</table>\n");
        b.append("<h2>ITM match probability</h2>\n")
                .append(histogram(s.itmHistogram(Source.WEB), s.itmHistogram(Source.SYNTHETIC), 0, 1, threshold));
        b.append("<h2>ITC cosine</h2>\n")
                .append(histogram(s.itcHistogram(Source.WEB), s.itcHistogram(Source.SYNTHETIC), -1, 1, Double.NaN));
        examples(b, "Kept (a sample)", s.keptExamples(), thumbnails);
        examples(b, "Removed (a sample)", s.removedExamples(), thumbnails);
        examples(b, "Errors (a sample)", s.errorExamples(), thumbnails);
        b.append("<h2>Run</h2>\n<pre>").append(escape(GSON.toJson(run))).append("</pre>\n</body></html>\n");
        return b.toString();
    }

    private static void countRow(StringBuilder b, String name, long in, long scored, long kept, long errors) {
        b.append("<tr><th>").append(name).append("</th><td>").append(in).append("</td><td>").append(scored)
                .append("</td><td>").append(kept).append("</td><td>").append(scored - kept).append("</td><td>")
                .append(errors).append("</td><td>").append(in == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%",
                        100.0 * kept / in)).append("</td></tr>\n");
    }

    /** Grouped bars per bin (web blue, synthetic orange), axis labels, and a dashed threshold line. */
    static String histogram(long[] web, long[] synthetic, double min, double max, double threshold) {
        int width = 640;
        int height = 240;
        int left = 50;
        int right = 10;
        int top = 24;
        int bottom = 30;
        int plotW = width - left - right;
        int plotH = height - top - bottom;
        long peak = 1;
        for (int i = 0; i < web.length; i++) {
            peak = Math.max(peak, Math.max(web[i], synthetic[i]));
        }
        double binW = (double) plotW / web.length;
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"")
                .append(height).append("\" font-size=\"11\" font-family=\"sans-serif\">");
        svg.append("<rect x=\"").append(left).append("\" y=\"").append(top).append("\" width=\"").append(plotW)
                .append("\" height=\"").append(plotH).append("\" fill=\"none\" stroke=\"#999\"/>");
        for (int i = 0; i < web.length; i++) {
            bar(svg, left + i * binW + 1, binW / 2 - 1, web[i], peak, top, plotH, "#1f5fa8", "web", i, web.length, min, max);
            bar(svg, left + i * binW + binW / 2, binW / 2 - 1, synthetic[i], peak, top, plotH, "#e08a1e", "synthetic",
                    i, web.length, min, max);
        }
        for (int t = 0; t <= 4; t++) {
            double v = min + (max - min) * t / 4;
            double x = left + plotW * t / 4.0;
            svg.append("<text x=\"").append(fmt(x)).append("\" y=\"").append(height - 10)
                    .append("\" text-anchor=\"middle\">").append(fmt(v)).append("</text>");
        }
        svg.append("<text x=\"").append(left - 4).append("\" y=\"").append(top + 10)
                .append("\" text-anchor=\"end\">").append(peak).append("</text>");
        svg.append("<text x=\"").append(left - 4).append("\" y=\"").append(top + plotH)
                .append("\" text-anchor=\"end\">0</text>");
        if (!Double.isNaN(threshold)) {
            double x = left + plotW * (threshold - min) / (max - min);
            svg.append("<line x1=\"").append(fmt(x)).append("\" x2=\"").append(fmt(x)).append("\" y1=\"").append(top)
                    .append("\" y2=\"").append(top + plotH).append("\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>");
            svg.append("<text x=\"").append(fmt(x + 3)).append("\" y=\"").append(top + 12)
                    .append("\" fill=\"#c00\">threshold ").append(fmt(threshold)).append("</text>");
        }
        svg.append("<rect x=\"").append(width - 170).append("\" y=\"4\" width=\"10\" height=\"10\" fill=\"#1f5fa8\"/>")
                .append("<text x=\"").append(width - 156).append("\" y=\"13\">web</text>")
                .append("<rect x=\"").append(width - 110).append("\" y=\"4\" width=\"10\" height=\"10\" fill=\"#e08a1e\"/>")
                .append("<text x=\"").append(width - 96).append("\" y=\"13\">synthetic</text>");
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void bar(StringBuilder svg, double x, double w, long count, long peak, int top, int plotH,
            String colour, String label, int bin, int bins, double min, double max) {
        if (count == 0) {
            return;
        }
        double h = (double) plotH * count / peak;
        double from = min + (max - min) * bin / bins;
        double to = min + (max - min) * (bin + 1) / bins;
        svg.append("<rect x=\"").append(fmt(x)).append("\" y=\"").append(fmt(top + plotH - h)).append("\" width=\"")
                .append(fmt(Math.max(w, 1))).append("\" height=\"").append(fmt(h)).append("\" fill=\"").append(colour)
                .append("\"><title>").append(label).append(" [").append(fmt(from)).append(", ").append(fmt(to))
                .append("): ").append(count).append("</title></rect>");
    }

    private static void examples(StringBuilder b, String title, List<CandidateRow> rows, Map<String, String> thumbs) {
        b.append("<h2>").append(escape(title)).append("</h2>\n");
        if (rows.isEmpty()) {
            b.append("<p>none</p>\n");
            return;
        }
        b.append("<div class=\"grid\">\n");
        for (CandidateRow r : rows) {
            b.append("<div class=\"card\">");
            String thumb = thumbs.get(thumbnailKey(r.key(), r.image()));
            if (thumb != null) {
                b.append("<img alt=\"").append(escape(r.key())).append("\" src=\"").append(thumb).append("\">");
            }
            b.append("<div class=\"").append(r.source().label()).append("\"><b>").append(r.source().label())
                    .append("</b>: ").append(r.text() == null ? "<i>no text</i>" : escape(r.text())).append("</div>");
            if (r.itm() != null) {
                b.append("<div>itm ").append(String.format(Locale.ROOT, "%.4f", r.itm())).append(", itc ")
                        .append(String.format(Locale.ROOT, "%.4f", r.itc())).append("</div>");
            }
            if (r.error() != null) {
                b.append("<div class=\"err\">").append(escape(r.error())).append("</div>");
            }
            b.append("<div><small>").append(escape(r.key())).append(" &middot; ")
                    .append(escape(String.valueOf(r.image()))).append("</small></div></div>\n");
        }
        b.append("</div>\n");
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static String fmt(double v) {
        String s = String.format(Locale.ROOT, "%.2f", v);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    /** UTF-8 bytes of a text file's content. */
    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
