"""Unit (license-plate) and tote labels: ZPL II for Zebra printers and a PDF fallback, from layout files.

Public API: :func:`station.labels.render.unit_label_zpl`, :func:`~station.labels.render.tote_label_zpl`
(label data -> one ^XA..^XZ format), :func:`station.labels.pdf.label_pdf` (the same layout as a
one-page PDF for any office printer), :data:`station.labels.layout.LAYOUTS` (the layout names).

Layout files (``station/labels/layouts/<name>.toml``, one per label size, serving 203 and 300
dpi) are data: ``[label]`` gives ``unit`` ("mm" or "in"), ``width``, ``height`` and ``dpi``;
``[unit]`` and ``[tote]`` hold the elements of each label kind. ``lpn`` / ``gs1`` / ``code`` are
1D codes (``x y w h module hr_size``: the box holds the 10-module quiet zones, the bars and the
human-readable line; ``module`` is the narrow bar in the file's unit and shrinks by whole dots
only when the data would not fit), ``qr`` a square (``x y size``, a 4-module quiet zone inside),
``manifest`` the tote's LPN list (``x y w h line_height columns size``), and ``texts.<name>``
text boxes (``x y w h text size lines justify shrink``) whose ``text`` is a template over the
label's fields (``{lpn}``, ``{rma_id}``, ``{count}`` ...; a field with no value leaves the box
empty). Unknown keys or fields are errors naming the file and the key.

Text font 0 cannot draw: under ^CI28 printable ASCII and Latin-1 go to font 0 as ^FH-escaped
UTF-8. A line with other characters (Chinese in a description) is drawn as a ^GF graphic field
with an installed CJK font (Noto Sans CJK, WenQuanYi, AR PL); when none is installed, accents
are dropped to the base letter and what is left is printed as ``?``, never as garbage.
"""
