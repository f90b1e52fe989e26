#!/usr/bin/env python3
"""Writes the MIME test corpus (NN-name.eml) next to this script.

The messages are written by hand here, in one place, so that their shapes
are easy to review: real-world layouts (Outlook, Apple Mail, Thunderbird,
mailing lists, bounces) and broken ones. Rerun after editing; the .eml files
are committed so the tests do not depend on this script.
"""
import base64
import os
import quopri

HERE = os.path.dirname(os.path.abspath(__file__))
msgs = []


def add(name, text, crlf=False):
    if isinstance(text, str):
        text = text.encode('utf-8')
    if crlf:
        text = text.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    msgs.append((name, text))


def b64(data, width=76):
    s = base64.b64encode(data).decode()
    return '\n'.join(s[i:i + width] for i in range(0, len(s), width))


def blob(n, seed):
    return bytes((i * 131 + seed * 7 + (i >> 3)) & 0xff for i in range(n))


HDR = ('From: Alice Example <alice@example.com>\n'
       'To: Bob Example <bob@example.org>\n'
       'Date: Mon, 3 Mar 2025 10:00:00 +0100\n'
       'Message-ID: <{n}@example.com>\n')

PNG = b'\x89PNG\r\n\x1a\n' + blob(600, 1)
PDF = b'%PDF-1.4\n' + blob(900, 2) + b'\n%%EOF\n'
ZIP = b'PK\x03\x04' + blob(300, 3)

# 1-10: single parts
add('01-plain-ascii', HDR.format(n=1) + 'Subject: Lunch\n\nSee you at noon.\n')
add('02-plain-utf8-8bit', HDR.format(n=2) +
    'Subject: =?UTF-8?Q?Caf=C3=A9?=\nMIME-Version: 1.0\n'
    'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n'
    'Un café, s\'il vous plaît.\nÜber straße.\n')
add('03-plain-qp-latin1', HDR.format(n=3) +
    'Subject: =?iso-8859-1?q?R=E9sum=E9?=\nMIME-Version: 1.0\n'
    'Content-Type: text/plain; charset="iso-8859-1"\n'
    'Content-Transfer-Encoding: quoted-printable\n\n'
    'Voil=E0 le r=E9sum=E9 que vous avez demand=E9, avec une ligne assez lon=\n'
    'gue pour =EAtre coup=E9e.\n')
add('04-plain-base64-utf8', HDR.format(n=4) +
    'Subject: =?UTF-8?B?5pel5pys6Kqe44Gu5Lu25ZCN?=\nMIME-Version: 1.0\n'
    'Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n' +
    b64('日本語のテキストです。\nもう一行。\n'.encode()) + '\n')
add('05-html-only', HDR.format(n=5) +
    'Subject: Newsletter\nMIME-Version: 1.0\nContent-Type: text/html; charset=us-ascii\n\n'
    '<html><body><p>Hello</p></body></html>\n')
add('06-no-content-type', HDR.format(n=6) + 'Subject: old style\n\nJust text, no MIME at all.\n')
add('07-invalid-content-type', HDR.format(n=7) +
    'Subject: bad type\nMIME-Version: 1.0\nContent-Type: text\n\nbody\n')
add('08-uppercase-type-cte', HDR.format(n=8) +
    'Subject: SHOUTING\nMIME-Version: 1.0\nContent-Type: TEXT/HTML; CHARSET=UTF-8\n'
    'Content-Transfer-Encoding: BASE64\n\n' + b64(b'<b>loud</b>') + '\n')
add('09-empty-body', HDR.format(n=9) + 'Subject: empty\n\n')
add('10-header-only-no-blank', HDR.format(n=10) + 'Subject: no blank line')

# 11-20: multipart shapes
add('11-alternative', HDR.format(n=11) +
    'Subject: alt\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="alt1"\n\n'
    '--alt1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n'
    'Hello =E2=80=94 plain\n'
    '--alt1\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n'
    '<p>Hello =E2=80=94 html</p>\n'
    '--alt1--\n')
add('12-mixed-alt-attachments', HDR.format(n=12) +
    'Subject: Report with attachments\nMIME-Version: 1.0\n'
    'Content-Type: multipart/mixed; boundary="----=_Part_0_123.456"\n\n'
    'This is a multi-part message in MIME format.\n\n'
    '------=_Part_0_123.456\nContent-Type: multipart/alternative; boundary="----=_Part_1_789"\n\n'
    '------=_Part_1_789\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 7bit\n\n'
    'Please find the report attached.\n\n'
    '------=_Part_1_789\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: 7bit\n\n'
    '<p>Please find the report attached.</p>\n\n'
    '------=_Part_1_789--\n\n'
    '------=_Part_0_123.456\nContent-Type: application/pdf; name=report.pdf\n'
    'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=report.pdf\n\n' +
    b64(PDF) + '\n'
    '------=_Part_0_123.456\nContent-Type: image/png; name="chart.png"\n'
    'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="chart.png"\n\n' +
    b64(PNG) + '\n'
    '------=_Part_0_123.456--\n', crlf=True)
add('13-related-inline-image', HDR.format(n=13) +
    'Subject: inline\nMIME-Version: 1.0\nContent-Type: multipart/related; boundary=rel; type="text/html"\n\n'
    '--rel\nContent-Type: text/html; charset=us-ascii\n\n<img src="cid:img1@x">\n'
    '--rel\nContent-Type: image/png\nContent-ID: <img1@x>\nContent-Transfer-Encoding: base64\n'
    'Content-Disposition: inline\n\n' + b64(PNG[:100]) + '\n--rel--\n')
add('14-signed-pgp', HDR.format(n=14) +
    'Subject: signed\nMIME-Version: 1.0\nContent-Type: multipart/signed; micalg=pgp-sha256;\n'
    ' protocol="application/pgp-signature"; boundary="sig"\n\n'
    'This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\n'
    '--sig\nContent-Type: text/plain; charset=us-ascii\n\nsigned text\n'
    '--sig\nContent-Type: application/pgp-signature; name="signature.asc"\n'
    'Content-Description: OpenPGP digital signature\nContent-Disposition: attachment; filename="signature.asc"\n\n'
    '-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEE\n-----END PGP SIGNATURE-----\n'
    '--sig--\n')
add('15-digest', 'From: list@example.com\nSubject: Digest V1 #2\nMIME-Version: 1.0\n'
    'Content-Type: multipart/digest; boundary="dig"\n\n'
    '--dig\n\nFrom: a@example.com\nSubject: first\n\nfirst body\n'
    '--dig\n\nFrom: b@example.com\nSubject: second\n\nsecond body\n'
    '--dig--\n')
add('16-preamble-epilogue', HDR.format(n=16) +
    'Subject: pre/epi\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n'
    'preamble line 1\npreamble line 2\n--b\n\npart one\n--b\n\npart two\n--b--\nepilogue\nmore epilogue\n')
add('17-three-alternatives', HDR.format(n=17) +
    'Subject: three\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=x\n\n'
    '--x\nContent-Type: text/plain\n\nplain\n--x\nContent-Type: text/enriched\n\n<bold>rich</bold>\n'
    '--x\nContent-Type: text/html\n\n<b>html</b>\n--x--\n')
add('18-single-part-multipart', HDR.format(n=18) +
    'Subject: lonely\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=only\n\n'
    '--only\nContent-Type: text/plain\n\nthe only part\n--only--\n')
add('19-deep-nesting', HDR.format(n=19) +
    'Subject: deep\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=l1\n\n'
    '--l1\nContent-Type: multipart/mixed; boundary=l2\n\n'
    '--l2\nContent-Type: multipart/mixed; boundary=l3\n\n'
    '--l3\nContent-Type: multipart/alternative; boundary=l4\n\n'
    '--l4\nContent-Type: text/plain\n\ndeepest\n--l4\nContent-Type: text/html\n\n<i>deepest</i>\n--l4--\n'
    '--l3\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n' + b64(blob(50, 9)) + '\n--l3--\n'
    '--l2--\n--l1\nContent-Type: text/plain\n\ntail\n--l1--\n')
add('20-empty-parts', HDR.format(n=20) +
    'Subject: empties\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=e\n\n'
    '--e\n\n--e\nContent-Type: text/plain\n\n--e\n\n\n--e--\n')

# 21-30: forwards and message/rfc822
INNER = ('From: Carol <carol@example.net>\nTo: alice@example.com\nSubject: Original\n'
         'Date: Sun, 2 Mar 2025 09:00:00 -0500\nMIME-Version: 1.0\n'
         'Content-Type: multipart/mixed; boundary=inner\n\n'
         '--inner\nContent-Type: text/plain\n\noriginal text\n'
         '--inner\nContent-Type: application/zip; name=files.zip\nContent-Disposition: attachment; filename=files.zip\n'
         'Content-Transfer-Encoding: base64\n\n' + b64(ZIP) + '\n--inner--\n')
add('21-forward-rfc822', HDR.format(n=21) +
    'Subject: Fwd: Original\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=fwd\n\n'
    '--fwd\nContent-Type: text/plain\n\nSee below.\n'
    '--fwd\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename="Original.eml"\n\n' +
    INNER + '\n--fwd--\n')
add('22-forward-of-forward', HDR.format(n=22) +
    'Subject: Fwd: Fwd: Original\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=f2\n\n'
    '--f2\nContent-Type: text/plain\n\nFYI\n'
    '--f2\nContent-Type: message/rfc822\n\n'
    'From: dave@example.org\nSubject: Fwd: Original\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=f1\n\n'
    '--f1\nContent-Type: text/plain\n\nforwarding\n--f1\nContent-Type: message/rfc822\n\n' + INNER +
    '\n--f1--\n\n--f2--\n')
add('23-rfc822-simple-body', HDR.format(n=23) +
    'Subject: Fwd: plain\nMIME-Version: 1.0\nContent-Type: message/rfc822\n\n'
    'From: x@example.com\nSubject: =?utf-8?q?inner_=C3=BC?=\n\njust an inner text\n')
add('24-rfc822-8bit', HDR.format(n=24) +
    'Subject: Fwd: 8bit\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=q\n\n'
    '--q\nContent-Type: message/rfc822\nContent-Transfer-Encoding: 8bit\n\n'
    'Subject: inner\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nnaïve café\n--q--\n')
add('25-rfc822-missing-inner-close', HDR.format(n=25) +
    'Subject: broken inner\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=outer\n\n'
    '--outer\nContent-Type: message/rfc822\n\n'
    'Subject: inner\nContent-Type: multipart/alternative; boundary=innr\n\n'
    '--innr\n\ninner text\n'
    '--outer\nContent-Type: text/plain\n\nafter\n--outer--\n')
add('26-bounce-report', 'From: MAILER-DAEMON@example.org\nTo: alice@example.com\n'
    'Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n'
    'Content-Type: multipart/report; report-type=delivery-status; boundary="rep"\n\n'
    '--rep\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n'
    'I could not deliver your message.\n'
    '--rep\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n'
    'From: alice@example.com\nSubject: hello\n'
    '--rep--\n')
add('27-rfc822-attachment-crlf', HDR.format(n=27) +
    'Subject: eml attached\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="=_eml"\n\n'
    '--=_eml\nContent-Type: text/plain; charset=utf-8\n\nbody\n'
    '--=_eml\nContent-Type: message/rfc822; name="Meeting.eml"\nContent-Disposition: attachment; filename="Meeting.eml"\n\n'
    'Subject: Meeting\nFrom: e@example.com\nContent-Type: text/html\n\n<p>at 10</p>\n'
    '--=_eml--\n', crlf=True)

# 28-40: names and encodings of names
add('28-rfc2231-filename', HDR.format(n=28) +
    'Subject: names\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=n\n\n'
    '--n\nContent-Type: text/plain\n\nsee attached\n'
    '--n\nContent-Type: application/pdf\nContent-Disposition: attachment;\n'
    " filename*=UTF-8''%C3%A9t%C3%A9%202025.pdf\nContent-Transfer-Encoding: base64\n\n" + b64(PDF[:200]) + '\n--n--\n')
add('29-rfc2231-continuations', HDR.format(n=29) +
    'Subject: long name\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=n\n\n'
    '--n\nContent-Type: application/octet-stream\nContent-Disposition: attachment;\n'
    " filename*0*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E%E3%81%AE;\n"
    ' filename*1*=%E9%95%B7%E3%81%84;\n'
    ' filename*2="_name.bin"\nContent-Transfer-Encoding: base64\n\n' + b64(blob(40, 4)) + '\n--n--\n')
add('30-rfc2047-filename-quoted', HDR.format(n=30) +
    'Subject: outlook names\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=n\n\n'
    '--n\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\n'
    ' name="=?utf-8?B?w5xiZXJzaWNodC5kb2N4?="\nContent-Disposition: attachment;\n'
    ' filename="=?utf-8?B?w5xiZXJzaWNodC5kb2N4?="\nContent-Transfer-Encoding: base64\n\n' + b64(ZIP) + '\n--n--\n')
add('31-name-only', HDR.format(n=31) +
    'Subject: name only\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=n\n\n'
    '--n\nContent-Type: image/jpeg; name="photo.jpg"\nContent-Transfer-Encoding: base64\n\n' +
    b64(b'\xff\xd8\xff\xe0' + blob(100, 5)) + '\n--n--\n')
add('32-name-and-filename-differ', HDR.format(n=32) +
    'Subject: two names\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=n\n\n'
    '--n\nContent-Type: text/csv; name="from-type.csv"\nContent-Disposition: attachment; filename="from-disposition.csv"\n\n'
    'a,b\n1,2\n--n--\n')
add('33-inline-with-filename', HDR.format(n=33) +
    'Subject: inline file\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=n\n\n'
    '--n\nContent-Type: text/plain; charset=us-ascii\nContent-Disposition: inline; filename=notes.txt\n\nnotes\n--n--\n')
add('34-rfc2231-latin1-lang', HDR.format(n=34) +
    'Subject: latin1 name\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=n\n\n'
    "--n\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename*=iso-8859-1'fr'r%E9sum%E9.txt\n\n"
    'x\n--n--\n')
add('35-filename-with-spaces-quotes', HDR.format(n=35) +
    'Subject: spaces\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=n\n\n'
    '--n\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="my \\"best\\" file.txt"\n\n'
    'y\n--n--\n')
add('36-params-comments-spacing', HDR.format(n=36) +
    'Subject: spacing\nMIME-Version: 1.0\nContent-Type: multipart/mixed (a comment);\n'
    '   boundary = "sp ace"  ; charset=x\n\n'
    '--sp ace\nContent-Type: text/plain ; charset = "us-ascii" (c)\n\nspaced\n--sp ace--\n')
add('37-boundary-prefix-of-other', HDR.format(n=37) +
    'Subject: prefixes\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n'
    '--b\nContent-Type: multipart/alternative; boundary=b1\n\n'
    '--b1\n\nalt a\n--b1\n\nalt b\n--b1--\n'
    '--b\n\nsecond\n--b--\n')
add('38-boundary-trailing-space', HDR.format(n=38) +
    'Subject: padding\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=pad\n\n'
    '--pad  \n\none\n--pad\t\n\ntwo\n--pad--  \n', crlf=True)
add('39-attachment-types', HDR.format(n=39) +
    'Subject: many types\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=t\n\n'
    '--t\nContent-Type: text/calendar; method=REQUEST; charset=UTF-8\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n'
    '--t\nContent-Type: audio/mpeg; name=a.mp3\nContent-Transfer-Encoding: base64\n\n' + b64(b'ID3' + blob(80, 6)) + '\n'
    '--t\nContent-Type: video/mp4; name=v.mp4\nContent-Transfer-Encoding: base64\n\n' + b64(blob(120, 7)) + '\n'
    '--t\nContent-Type: application/ms-tnef; name=winmail.dat\nContent-Transfer-Encoding: base64\n\n' + b64(blob(64, 8)) + '\n'
    '--t--\n')
add('40-big-attachment', HDR.format(n=40) +
    'Subject: big\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=big\n\n'
    '--big\n\nbig one attached\n--big\nContent-Type: application/octet-stream; name=big.bin\n'
    'Content-Transfer-Encoding: base64\n\n' + b64(blob(20000, 10)) + '\n--big--\n', crlf=True)

# 41-50: subjects
add('41-subject-multi-words', HDR.format(n=41) +
    'Subject: =?UTF-8?B?SGVsbG8g?= =?UTF-8?B?d29ybGQ=?=\n\nx\n')
add('42-subject-mixed-charsets', HDR.format(n=42) +
    'Subject: =?ISO-8859-1?Q?Andr=E9?= and =?KOI8-R?B?8NLJ18XU?=\n\nx\n')
add('43-subject-iso2022jp', HDR.format(n=43) +
    'Subject: =?ISO-2022-JP?B?GyRCJEYkOSRIGyhC?=\n\nx\n')
add('44-subject-split-multibyte', HDR.format(n=44) +
    'Subject: =?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9_time?=\n\nx\n')
add('45-subject-folded-long', HDR.format(n=45) +
    'Subject: This is a rather long subject line that has been folded\n  across several lines by some\n\tmail client\n\nx\n')
add('46-subject-lowercase-q', HDR.format(n=46) +
    'Subject: =?utf-8?q?lower_case_q?= plain =?utf-8?b?YmFzZTY0?=\n\nx\n')
add('47-subject-encoded-and-plain', HDR.format(n=47) +
    'Subject: Re: [list] =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from =?UTF-8?Q?K=C3=B6ln?=!\n\nx\n')
add('48-subject-windows1252', HDR.format(n=48) +
    'Subject: =?windows-1252?Q?=93Smart_quotes=94_=96_dash?=\n\nx\n')
add('49-subject-b-missing-padding', HDR.format(n=49) +
    'Subject: =?UTF-8?B?w6l0w6k?=\n\nx\n')
add('50-no-subject', 'From: a@example.com\nTo: b@example.com\n\nno subject\n')

# 51-70: broken and odd
add('51-missing-final-boundary', HDR.format(n=51) +
    'Subject: truncated\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=m\n\n'
    '--m\n\nfirst\n--m\nContent-Type: text/plain\n\nsecond, and the message just stops\n')
add('52-multipart-no-boundary-param', HDR.format(n=52) +
    'Subject: no boundary\nMIME-Version: 1.0\nContent-Type: multipart/mixed\n\n--x\n\nbody\n--x--\n')
add('53-boundary-never-appears', HDR.format(n=53) +
    'Subject: no delimiters\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=nope\n\njust text\n')
add('54-broken-base64', HDR.format(n=54) +
    'Subject: junk in base64\nMIME-Version: 1.0\nContent-Type: application/octet-stream\n'
    'Content-Transfer-Encoding: base64\n\naGVsbG8g*d29y\nbGQh\n')
add('55-base64-no-padding', HDR.format(n=55) +
    'Subject: no padding\nMIME-Version: 1.0\nContent-Type: application/octet-stream\n'
    'Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQhIQ\n')
add('56-qp-soft-breaks-lowercase', HDR.format(n=56) +
    'Subject: qp\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n'
    'Content-Transfer-Encoding: quoted-printable\n\n'
    'caf=c3=a9 with a soft=\nbreak and =3D equals and a stray = sign\nlast line\n')
add('57-part-without-headers', HDR.format(n=57) +
    'Subject: headerless\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=h\n\n'
    '--h\n\nno headers here\n--h\n\n\nstarts with blank\n--h--\n')
add('58-7bit-with-8bit-content', HDR.format(n=58) +
    'Subject: lying cte\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n'
    'Content-Transfer-Encoding: 7bit\n\nnot really 7bit: é ü\n')
add('59-unknown-cte', HDR.format(n=59) +
    'Subject: unknown cte\nMIME-Version: 1.0\nContent-Type: text/plain\n'
    'Content-Transfer-Encoding: x-custom\n\nleft alone\n')
add('60-duplicate-content-type', HDR.format(n=60) +
    'Subject: two types\nMIME-Version: 1.0\nContent-Type: text/html\nContent-Type: text/plain\n\n<p>first wins</p>\n')
add('61-outlook-nextpart', 'From: "Smith, John" <john.smith@corp.example>\nTo: team@corp.example\n'
    'Subject: RE: Q3 numbers\nMIME-Version: 1.0\n'
    'Content-Type: multipart/mixed;\n\tboundary="----=_NextPart_000_0012_01D9A1B2.C3D4E5F6"\n'
    'X-Mailer: Microsoft Outlook 16.0\n\n'
    'This is a multipart message in MIME format.\n\n'
    '------=_NextPart_000_0012_01D9A1B2.C3D4E5F6\n'
    'Content-Type: multipart/alternative;\n\tboundary="----=_NextPart_001_0013_01D9A1B2.C3D4E5F6"\n\n\n'
    '------=_NextPart_001_0013_01D9A1B2.C3D4E5F6\nContent-Type: text/plain;\n\tcharset="us-ascii"\n'
    'Content-Transfer-Encoding: 7bit\n\nNumbers attached.\n\n'
    '------=_NextPart_001_0013_01D9A1B2.C3D4E5F6\nContent-Type: text/html;\n\tcharset="us-ascii"\n'
    'Content-Transfer-Encoding: quoted-printable\n\n<html xmlns:o=3D"urn:schemas">Numbers</html>\n\n'
    '------=_NextPart_001_0013_01D9A1B2.C3D4E5F6--\n\n'
    '------=_NextPart_000_0012_01D9A1B2.C3D4E5F6\n'
    'Content-Type: application/vnd.ms-excel;\n\tname="Q3.xls"\nContent-Transfer-Encoding: base64\n'
    'Content-Disposition: attachment;\n\tfilename="Q3.xls"\n\n' + b64(blob(500, 11)) + '\n\n'
    '------=_NextPart_000_0012_01D9A1B2.C3D4E5F6--\n', crlf=True)
add('62-apple-mail', 'From: Eve <eve@icloud.example>\nTo: frank@example.com\nSubject: Photos\n'
    'Mime-Version: 1.0 (Mac OS X Mail 16.0)\n'
    'Content-Type: multipart/alternative; boundary="Apple-Mail=_1F2E3D4C-5B6A-7980"\n\n'
    '--Apple-Mail=_1F2E3D4C-5B6A-7980\nContent-Transfer-Encoding: quoted-printable\n'
    'Content-Type: text/plain;\n\tcharset=utf-8\n\nHere are the photos =F0=9F=93=B7\n\n'
    '--Apple-Mail=_1F2E3D4C-5B6A-7980\nContent-Type: multipart/related;\n\ttype="text/html";\n'
    '\tboundary="Apple-Mail=_2A3B4C5D"\n\n\n'
    '--Apple-Mail=_2A3B4C5D\nContent-Transfer-Encoding: 7bit\nContent-Type: text/html;\n\tcharset=us-ascii\n\n'
    '<html><body><img src="cid:p1"></body></html>\n'
    '--Apple-Mail=_2A3B4C5D\nContent-Transfer-Encoding: base64\nContent-Disposition: inline;\n'
    '\tfilename=IMG_0001.jpeg\nContent-Type: image/jpeg;\n\tx-unix-mode=0644;\n\tname="IMG_0001.jpeg"\n'
    'Content-Id: <p1>\n\n' + b64(b'\xff\xd8\xff' + blob(300, 12)) + '\n'
    '--Apple-Mail=_2A3B4C5D--\n\n--Apple-Mail=_1F2E3D4C-5B6A-7980--\n')
add('63-mailing-list-footer', 'From: g@example.com\nTo: list@lists.example\nSubject: [list] topic\n'
    'List-Id: <list.lists.example>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="===============0123456789=="\n\n'
    '--===============0123456789==\nContent-Type: text/plain; charset="us-ascii"\nMIME-Version: 1.0\n'
    'Content-Transfer-Encoding: 7bit\n\noriginal post\n'
    '--===============0123456789==\nContent-Type: text/plain; charset="us-ascii"\nMIME-Version: 1.0\n'
    'Content-Transfer-Encoding: 7bit\nContent-Disposition: inline\n\n_______________\nlist mailing list\n'
    '--===============0123456789==--\n')
add('64-cr-lf-mixed-endings', HDR.format(n=64) +
    'Subject: mixed endings\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n'
    '--z\r\nContent-Type: text/plain\r\n\r\ncrlf part\r\n--z\nContent-Type: text/plain\n\nlf part\n--z--\r\n')
add('65-leaf-with-dashes', HDR.format(n=65) +
    'Subject: dashes\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=d\n\n'
    '--d\n\n-- \nSignature with dashes\n---\n--dd not a boundary\n--d\n\nnext\n--d--\n')
add('66-nested-same-shape', HDR.format(n=66) +
    'Subject: siblings\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=o\n\n'
    '--o\nContent-Type: multipart/alternative; boundary=i1\n\n--i1\n\na1\n--i1\n\na2\n--i1--\n'
    '--o\nContent-Type: multipart/alternative; boundary=i2\n\n--i2\n\nb1\n--i2--\n'
    '--o--\n')
add('67-raw-utf8-filename', HDR.format(n=67) +
    'Subject: raw 8bit name\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=r\n\n'
    '--r\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="plain.txt"\n\nz\n--r--\n')
add('68-encrypted-pgp', HDR.format(n=68) +
    'Subject: encrypted\nMIME-Version: 1.0\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=enc\n\n'
    '--enc\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n'
    '--enc\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n'
    '-----BEGIN PGP MESSAGE-----\n\nhQEMA\n-----END PGP MESSAGE-----\n--enc--\n')
add('69-smime-signed', HDR.format(n=69) +
    'Subject: smime\nMIME-Version: 1.0\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="ms1"\n\n'
    '--ms1\nContent-Type: text/plain; charset=utf-8\n\nsigned\n'
    '--ms1\nContent-Type: application/pkcs7-signature; name="smime.p7s"\nContent-Transfer-Encoding: base64\n'
    'Content-Disposition: attachment; filename="smime.p7s"\n\n' + b64(blob(90, 13)) + '\n--ms1--\n')
add('70-qp-attachment', HDR.format(n=70) +
    'Subject: qp attachment\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=qa\n\n'
    '--qa\nContent-Type: text/plain; charset=iso-8859-1; name="fran=E7ais.txt"\n'
    'Content-Transfer-Encoding: quoted-printable\nContent-Disposition: attachment; filename="francais.txt"\n\n'
    'fran=E7ais=\n\n--qa--\n')

# 71-76: shapes where we differ from Python on purpose (see KNOWN in
# tests/integration/test_mime_diff.py)
add('71-qp-trailing-whitespace', HDR.format(n=71) +
    'Subject: qp spaces\nMIME-Version: 1.0\nContent-Type: text/plain\n'
    'Content-Transfer-Encoding: quoted-printable\n\n'
    'trailing spaces added in transit   \nsoft break with padding=  \nend\n')
add('72-delivery-status', 'From: MAILER-DAEMON@example.org\nTo: alice@example.com\n'
    'Subject: Delivery Status Notification (Failure)\nMIME-Version: 1.0\n'
    'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"\n\n'
    '--dsn\nContent-Type: text/plain\n\nDelivery failed.\n'
    '--dsn\nContent-Type: message/delivery-status\n\n'
    'Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; nobody@example.com\n'
    'Action: failed\nStatus: 5.1.1\n'
    '--dsn\nContent-Type: message/rfc822\n\nFrom: alice@example.com\nSubject: hello\n\nhi\n'
    '--dsn--\n')
add('73-base64-rfc822', HDR.format(n=73) +
    'Subject: encoded forward\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n'
    '--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n' +
    b64(b'Subject: inner\r\n\r\ninner body\r\n') + '\n--b--\n')
add('74-raw-utf8-subject', HDR.format(n=74) +
    'Subject: Grüße ohne Kodierung\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n'
    'Content-Transfer-Encoding: 8bit\n\nRFC 6532 header\n')
add('75-glued-encoded-word', HDR.format(n=75) +
    'Subject: Re:=?utf-8?q?glued?= and =?utf-8?q?sp?= =?utf-8?q?aced?=\n\nx\n')
add('76-partial-message', HDR.format(n=76) +
    'Subject: partial\nMIME-Version: 1.0\nContent-Type: message/partial; id="x@y"; number=1; total=2\n\n'
    'Subject: inner\n\nfirst half\n')
add('77-base64-truncated', HDR.format(n=77) +
    'Subject: cut short\nMIME-Version: 1.0\nContent-Type: application/octet-stream\n'
    'Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQhI\n')

for name, data in msgs:
    with open(os.path.join(HERE, name + '.eml'), 'wb') as f:
        f.write(data)
print(len(msgs), 'messages')
