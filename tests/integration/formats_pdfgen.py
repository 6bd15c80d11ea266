# A hand-made PDF for formats_corpus.sh with what office suites rarely write
# but other producers do: every standard filter (ASCII85 + Flate with a PNG
# predictor, ASCIIHex, RunLength, LZW), a Type1 font whose /Differences map
# the codes a-j to the digit glyphs, a Type0/Identity-H font whose two-byte
# glyph ids mean nothing without its ToUnicode CMap (as Word and cairo write
# them for CID fonts), hex strings, TJ arrays with kerning, a
# number drawn by several Tj operators on several content lines, and an
# incremental update that adds the last page (only an xref-following reader
# sees it).  The numbers are spread over the pages; all of them count.
# usage: formats_pdfgen.py NUMBERS_FILE OUTDIR
import base64
import sys
import zlib

nums = open(sys.argv[1]).read().split()
out = sys.argv[2] + '/filters.pdf'
groups = [nums[i::7] for i in range(7)]


def show_plain(ns):
    lines = ['BT /F1 10 Tf 40 800 Td 14 TL']
    for i, n in enumerate(ns):
        d, s = n.split('-')
        if i % 4 == 0:
            lines.append('(Borger cpr-nr. %s) Tj T*' % n)
        elif i % 4 == 1:
            lines.append('[(Borger ) -300 (%s) 20 (%s-) -10 (%s)] TJ T*' % (d[:4], d[4:], s))
        elif i % 4 == 2:
            lines.append('<%s> Tj T*' % ('Borger ' + n).encode().hex())
        else:
            # one number, three operators on three content-stream lines
            lines.append('(Borger %s) Tj' % d[:2])
            lines.append('(%s) Tj' % d[2:])
            lines.append('(-%s) Tj T*' % s)
    lines.append('ET')
    return '\n'.join(lines).encode()


def show_diff(ns):
    tr = str.maketrans('0123456789', 'abcdefghij')
    lines = ['BT /F2 10 Tf 40 800 Td 14 TL']
    for n in ns:
        lines.append('(%s) Tj T*' % n.translate(tr))
    lines.append('ET')
    return '\n'.join(lines).encode()


# Glyph ids as a subset font numbers them: digits from 0x0013, the rest after.
CIDS = {ch: 0x13 + i for i, ch in enumerate('0123456789')}
CIDS.update({ch: 0x40 + i for i, ch in enumerate(' -Bcegnoprr')})


def show_cid(ns):
    lines = ['BT /F3 10 Tf 40 800 Td 14 TL']
    for n in ns:
        lines.append('<%s> Tj T*' % ''.join('%04X' % CIDS[ch] for ch in 'Borger cpr ' + n))
    lines.append('ET')
    return '\n'.join(lines).encode()


def tounicode():
    pairs = sorted((cid, ch) for ch, cid in CIDS.items())
    body = ''.join('<%04X> <%04X>\n' % (cid, ord(ch)) for cid, ch in pairs)
    cmap = ('/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n'
            '/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n'
            '1 begincodespacerange <0000> <FFFF> endcodespacerange\n'
            '%d beginbfchar\n%sendbfchar\nendcmap CMapName currentdict /CMap defineresource pop '
            'end end' % (len(pairs), body)).encode()
    return zlib.compress(cmap)


def png_up(data, cols=16):
    data += b' ' * (-len(data) % cols)
    rows, prev = [], bytes(cols)
    for i in range(0, len(data), cols):
        row = data[i:i + cols]
        rows.append(b'\x02' + bytes((row[k] - prev[k]) & 0xff for k in range(cols)))
        prev = row
    return b''.join(rows)


def runlength(data):
    o = bytearray()
    for i in range(0, len(data), 128):
        chunk = data[i:i + 128]
        o.append(len(chunk) - 1)
        o += chunk
    o.append(128)
    return bytes(o)


def lzw(data):
    def fresh():
        return {bytes([i]): i for i in range(256)}
    codes, d, nxt, w, count = [256], fresh(), 258, b'', 0
    for c in data:
        wc = w + bytes([c])
        if wc in d:
            w = wc
            continue
        codes.append(d[w])
        d[wc] = nxt
        nxt += 1
        count += 1
        w = bytes([c])
        if count >= 200:	# clear often: every code stays 9 bits wide
            codes.append(256)
            d, nxt, count = fresh(), 258, 0
    if w:
        codes.append(d[w])
    codes.append(257)
    acc, bits, o = 0, 0, bytearray()
    for code in codes:
        acc = acc << 9 | code
        bits += 9
        while bits >= 8:
            bits -= 8
            o.append(acc >> bits & 0xff)
    if bits:
        o.append(acc << (8 - bits) & 0xff)
    return bytes(o)


streams = [
    (b'/Filter [/ASCII85Decode /FlateDecode] /DecodeParms [null << /Predictor 12 /Colors 1 '
     b'/BitsPerComponent 8 /Columns 16 >>]',
     base64.a85encode(zlib.compress(png_up(show_plain(groups[0]))), adobe=True)[2:]),
    (b'/Filter /ASCIIHexDecode', show_plain(groups[1]).hex().encode() + b'>'),
    (b'/Filter /RunLengthDecode', runlength(show_plain(groups[2]))),
    (b'/Filter /LZWDecode', lzw(show_plain(groups[3]))),
    (b'/Filter /FlateDecode', zlib.compress(show_diff(groups[4]))),
    (b'/Filter /FlateDecode', zlib.compress(show_cid(groups[6]))),
]

objs = {}
fonts = (b'<< /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica '
         b'/Encoding /WinAnsiEncoding >> /F2 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica '
         b'/Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [97 /zero '
         b'/one /two /three /four /five /six /seven /eight /nine] >> >> '
         b'/F3 << /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+DejaVuSans /Encoding /Identity-H '
         b'/DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+DejaVuSans '
         b'/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> '
         b'/FontDescriptor 5 0 R /DW 600 >>] /ToUnicode 4 0 R >> >>')
objs[1] = b'<< /Type /Catalog /Pages 2 0 R >>'
kids = []
for i, (dic, data) in enumerate(streams):
    page, content = 10 + 2 * i, 11 + 2 * i
    kids.append(page)
    objs[page] = (b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font 3 0 R'
                  b' >> /Contents %d 0 R >>' % content)
    objs[content] = b'<< /Length %d %s >>\nstream\n' % (len(data), dic) + data + b'\nendstream'
objs[3] = fonts
cmap = tounicode()
objs[4] = b'<< /Length %d /Filter /FlateDecode >>\nstream\n' % len(cmap) + cmap + b'\nendstream'
objs[5] = (b'<< /Type /FontDescriptor /FontName /ABCDEF+DejaVuSans /Flags 32 '
           b'/FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 '
           b'/StemV 80 >>')


def pages(k):
    return b'<< /Type /Pages /Kids [%s] /Count %d >>' % (
        b' '.join(b'%d 0 R' % x for x in k), len(k))


objs[2] = pages(kids)


def body(objs, start):
    o, offs = bytearray(), {}
    for num in sorted(objs):
        offs[num] = start + len(o)
        o += b'%d 0 obj\n' % num + objs[num] + b'\nendobj\n'
    return bytes(o), offs


head = b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n'
b1, offs = body(objs, len(head))
size = max(objs) + 1
xref = bytearray(b'xref\n0 %d\n0000000000 65535 f \n' % size)
for i in range(1, size):
    xref += b'%010d 00000 n \n' % offs[i] if i in offs else b'0000000000 65535 f \n'
x1 = len(head) + len(b1)
f1 = head + b1 + bytes(xref) + b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (
    size, x1)

# Incremental update: page 6 and a new Pages object appended after %%EOF.
content = b'BT /F1 10 Tf 40 800 Td 14 TL\n' + b'\n'.join(
    b'(Tilfoejet %s) Tj T*' % n.encode() for n in groups[5]) + b'\nET'
upd = {2: pages(kids + [30]),
       30: b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font 3 0 R >> '
           b'/Contents 31 0 R >>',
       31: b'<< /Length %d >>\nstream\n' % len(content) + content + b'\nendstream'}
b2, offs2 = body(upd, len(f1))
x2 = len(f1) + len(b2)
xref2 = b'xref\n0 1\n0000000000 65535 f \n2 1\n%010d 00000 n \n30 2\n%010d 00000 n \n%010d 00000 n \n' % (
    offs2[2], offs2[30], offs2[31])
f2 = b2 + xref2 + b'trailer\n<< /Size 32 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (
    x1, x2)
open(out, 'wb').write(f1 + f2)
