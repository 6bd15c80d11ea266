#!/usr/bin/env bash
# Builds the document corpus of issue 10 with the real producers, into DIR:
#
#   formats_corpus.sh DIR [N]
#
# From a generated case letter, a CSV list and a PostScript file, each with N
# (default 30) distinct synthetic CPR numbers born 2027-2057 (cprw_gen):
# LibreOffice headless writes pdf, doc, docx, odt, rtf, html (Writer), xls,
# xlsx, ods, pdf, html (Calc), ppt, pptx, odp, pdf (Impress); Ghostscript's
# ps2pdf and cairo write PDFs (cairo also one with the numbers under drawn
# black boxes, and one with a page that is only an image); qpdf writes
# object-stream, RC4, AES-128 and AES-256 PDFs with an empty user password,
# and an AES-256 one with a user password; Python's email package a mail
# with the list as a base64 attachment, a quoted-printable one and an mbox of
# both; tests/integration/formats_pdfgen.py PDFs with every filter, predictors,
# a Differences font and an incremental update.
#
# DIR/expect lists what each file must give, one line per file:
#   FILE ok N | FILE refused encrypted | FILE partial N PAGES_WITHOUT_TEXT
# Producers that are not installed are an error (make deps installs them).
set -eu
dir=$1
n=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
OUTPUT=${OUTPUT:-$(cd "$here/../.." && pwd)/build}
gen=$OUTPUT/tests/cprw_gen
# Debian's python3 (python3-cairo lives there), not a pyenv shim on PATH.
py=/usr/bin/python3
seed=4242

for tool in soffice ps2pdf qpdf "$py" "$gen"; do
	command -v "$tool" >/dev/null || { echo "formats_corpus: $tool missing (make deps)"; exit 2; }
done
mkdir -p "$dir/src"
src=$dir/src
expect=$dir/expect
: > "$expect"

"$gen" letter "$src/letter.txt" "$n" $seed
"$gen" csv "$src/list.csv" "$n" $seed
"$gen" numcsv "$src/numlist.csv" "$n" $seed
"$gen" ps "$src/list.ps" "$n" $seed
"$gen" future "$n" $seed > "$src/numbers"

# LibreOffice as root in CI: a private profile (HOME), no restore or lock
# dialogs, and a timeout so a wedged soffice cannot hang the test run.
export HOME=$dir/home SAL_USE_VCLPLUGIN=svp
mkdir -p "$HOME"
office() {	# office FILTER_OR_EXT INFILE [INFILTER]
	local args=(--headless --norestore --nologo --nolockcheck --nodefault)
	[ -n "${3:-}" ] && args+=("--infilter=$3")
	timeout -k 5 300 soffice "${args[@]}" --convert-to "$1" --outdir "$dir" "$2" \
		> "$dir/soffice.log" 2>&1 || { cat "$dir/soffice.log"; return 1; }
}
ok() { echo "$1 ok $n" >> "$expect"; }

# A presentation: ten numbers a slide, so none runs off it (flat ODF, which Impress reads).
"$py" - "$src/numbers" "$src/slides.fodp" <<'EOF'
import sys
nums = open(sys.argv[1]).read().split()
slides = [nums[i:i + 10] for i in range(0, len(nums), 10)]
head = ('<?xml version="1.0" encoding="UTF-8"?>\n<office:document '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
        'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
        'office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.presentation">'
        '<office:body><office:presentation>')
out = [head]
for i, s in enumerate(slides):
    out.append('<draw:page draw:name="s%d"><draw:frame svg:x="1cm" svg:y="1cm" '
               'svg:width="24cm" svg:height="17cm"><draw:text-box>' % i)
    out += ['<text:p>Borger cpr-nr. %s</text:p>' % x for x in s]
    out.append('</draw:text-box></draw:frame></draw:page>')
out.append('</office:presentation></office:body></office:document>\n')
open(sys.argv[2], 'w').write(''.join(out))
EOF

for ext in pdf doc docx odt rtf html; do
	office "$ext" "$src/letter.txt"
	mv "$dir/letter.$ext" "$dir/writer.$ext"
	ok "writer.$ext"
done
csv_in='Text - txt - csv (StarCalc):59,34,76,1'
for ext in pdf xls xlsx ods html; do
	office "$ext" "$src/list.csv" "$csv_in"
	mv "$dir/list.$ext" "$dir/calc.$ext"
	ok "calc.$ext"
done
# Bare numbers become numeric cells; days 01-09 lose their leading zero.
for ext in xls xlsx; do
	office "$ext" "$src/numlist.csv" "$csv_in"
	mv "$dir/numlist.$ext" "$dir/calc-numeric.$ext"
	ok "calc-numeric.$ext"
done
for ext in pdf ppt pptx odp; do
	office "$ext" "$src/slides.fodp"
	mv "$dir/slides.$ext" "$dir/impress.$ext"
	ok "impress.$ext"
done

ps2pdf "$src/list.ps" "$dir/ghostscript.pdf"
ok ghostscript.pdf

"$py" "$here/formats_cairo.py" "$src/numbers" "$dir"
ok cairo.pdf
ok cairo-redacted.pdf
echo "cairo-scanned.pdf partial $n 1" >> "$expect"

"$py" "$here/formats_pdfgen.py" "$src/numbers" "$dir"
ok filters.pdf

# qpdf: object and xref streams; encryption with an empty user password
# (readable by anyone, so scanned) and with one (refused).
qpdf --object-streams=generate "$dir/writer.pdf" "$dir/objstm.pdf"
ok objstm.pdf
qpdf --allow-weak-crypto --encrypt "" owner 40 -- "$dir/writer.pdf" "$dir/rc4-40.pdf"
qpdf --allow-weak-crypto --encrypt "" owner 128 --use-aes=n -- "$dir/calc.pdf" "$dir/rc4-128.pdf"
qpdf --encrypt "" owner 128 --use-aes=y -- "$dir/writer.pdf" "$dir/aes-128.pdf"
qpdf --encrypt "" owner 256 -- "$dir/calc.pdf" "$dir/aes-256.pdf"
for f in rc4-40 rc4-128 aes-128 aes-256; do ok "$f.pdf"; done
qpdf --encrypt secret owner 256 -- "$dir/writer.pdf" "$dir/aes-256-password.pdf"
echo "aes-256-password.pdf refused encrypted" >> "$expect"

# Mail: the list PDF as a base64 attachment under a body without numbers; the
# letter as a quoted-printable body; an mbox of both.
"$py" - "$dir" "$src/letter.txt" <<'EOF'
import sys
from email.message import EmailMessage
from email import policy
d, letter = sys.argv[1], sys.argv[2]
m = EmailMessage()
m['From'] = 'sagsbehandler@kommune.example'
m['To'] = 'modtager@example.org'
m['Subject'] = 'Liste'
m.set_content('Hermed listen som aftalt.\n')
m.add_attachment(open(d + '/calc.pdf', 'rb').read(), maintype='application',
                 subtype='pdf', filename='liste.pdf')
open(d + '/mail-attachment.eml', 'wb').write(m.as_bytes(policy=policy.SMTP))
q = EmailMessage()
q['From'] = 'sagsbehandler@kommune.example'
q['To'] = 'modtager@example.org'
q['Subject'] = 'Afgoerelse'
q.set_content(open(letter, encoding='utf-8').read().replace('\n\n', ' \u00e6\u00f8\u00e5 =\n\n'),
              cte='quoted-printable')
open(d + '/mail-qp.eml', 'wb').write(q.as_bytes(policy=policy.SMTP))
with open(d + '/mail.mbox', 'wb') as f:
    for x in (m, q):
        f.write(b'From sagsbehandler@kommune.example Sun Dec  6 02:00:00 2026\n')
        f.write(x.as_bytes(policy=policy.compat32.clone(linesep='\n')) + b'\n')
EOF
ok mail-attachment.eml
ok mail-qp.eml
ok mail.mbox
