# PDFs drawn with cairo (python3-cairo), for formats_corpus.sh; the text has
# letters outside WinAnsi, so cairo embeds a Type0/Identity-H subset font with
# a ToUnicode CMap:
#   cairo.pdf           the numbers as text (cairo embeds subset fonts)
#   cairo-redacted.pdf  the same with a filled black rectangle drawn over each
#                       number: a failed redaction, the text is still there
#   cairo-scanned.pdf   page 1 the numbers as text, page 2 only an image (a
#                       scanned page: no text to read)
# usage: formats_cairo.py NUMBERS_FILE OUTDIR
import sys
import cairo

nums = open(sys.argv[1]).read().split()
out = sys.argv[2]


def text_page(ctx, redact):
    ctx.select_font_face('DejaVu Sans', cairo.FONT_SLANT_NORMAL, cairo.FONT_WEIGHT_NORMAL)
    ctx.set_font_size(10)
    for i, num in enumerate(nums):
        y = 40 + 20 * (i % 38)
        if i and i % 38 == 0:
            ctx.show_page()
        ctx.set_source_rgb(0, 0, 0)
        ctx.move_to(40, y)
        ctx.show_text('Borger %d (Ærø, Ščepánek), cpr-nr. ' % (i + 1))
        x = ctx.get_current_point()[0]
        ctx.show_text(num)
        if redact:
            ctx.rectangle(x - 2, y - 11, ctx.text_extents(num).x_advance + 4, 14)
            ctx.fill()


for name, redact in (('cairo.pdf', False), ('cairo-redacted.pdf', True)):
    surf = cairo.PDFSurface('%s/%s' % (out, name), 595, 842)
    text_page(cairo.Context(surf), redact)
    surf.finish()

surf = cairo.PDFSurface('%s/cairo-scanned.pdf' % out, 595, 842)
ctx = cairo.Context(surf)
text_page(ctx, False)
ctx.show_page()
img = cairo.ImageSurface(cairo.FORMAT_RGB24, 400, 200)
ictx = cairo.Context(img)
ictx.set_source_rgb(1, 1, 1)
ictx.paint()
ictx.set_source_rgb(0, 0, 0)
ictx.set_font_size(14)
for i, num in enumerate(nums[:8]):
    ictx.move_to(10, 20 + 22 * i)
    ictx.show_text(num)	# pixels only: the scan of a paper list
ctx.set_source_surface(img, 40, 40)
ctx.paint()
surf.finish()
