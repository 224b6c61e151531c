#!/usr/bin/env python3
"""Writes nfc_inert_cases.jsonl: texts where NFC-inert code points (CJK, fullwidth and
general punctuation, symbols) sit next to what NFC does act on (combining marks, Hangul
jamo, singleton and excluded decompositions, precomposable bases), with the NFC Python
3.11 (Unicode 14) gives. The C tokenizer skips the normaliser for text made only of
inert code points and code points below U+0300; these cases check that it never skips
where Python would change something.

  python3.11 tests/data/text/gen_nfc_inert_cases.py > tests/data/text/nfc_inert_cases.jsonl
"""
import json
import random
import unicodedata

assert unicodedata.unidata_version == "14.0.0", unicodedata.unidata_version
rng = random.Random(20261129)
INERT = "的，。一用中「」、：；！？（）—–‘’“”…•€™←→√∞≤≥①ｱｶﾞ"
BASES = "aeiouAEOUnNcCsSkKxzü ̈"
MARKS = "\u0300\u0301\u0302\u0308\u0323\u0327\u0345\u05b0\u0f71\u0f72\u302a\u3099\u309a"
HANGUL = "\u1100\u1112\u1161\u1175\u11a8\u11c2\uac00\ud7a3"
SINGLE = "\u2126\u212b\uf900\u0958\u0340\u0344\u2000\u2001\u037e\u0387"
KANA = "かがはぱカガハパ"  # kana compose with U+3099/U+309A
POOLS = [INERT, BASES, MARKS, HANGUL, SINGLE, KANA, "  \t"]
WEIGHTS = [6, 3, 3, 2, 1, 2, 1]
for i in range(600):
    n = rng.randint(1, 12)
    text = "".join(rng.choice(rng.choices(POOLS, WEIGHTS)[0]) for _ in range(n))
    print(json.dumps({"tag": "inert_%d" % i, "text": text,
                      "nfc": unicodedata.normalize("NFC", text)}, ensure_ascii=False))
