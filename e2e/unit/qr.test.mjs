// Unit tests of web/static/js/qr.js against the standard's tables (ISO/IEC 18004): versions chosen at the
// byte-mode capacity limits (Table 7), the symbol's fixed patterns, format and version information as
// listed in Annexes C and D, and the SVG path. web/qr_test.go proves the codes scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeQR, qrPath } from '../../web/static/js/qr.js';

/** The version of a code, from its size (4·v + 17 modules a side). @param {{ size: number }} qr */
const versionOf = (qr) => (qr.size - 17) / 4;

/** @typedef {'L' | 'M' | 'Q' | 'H'} ECLevel */

/** Byte-mode capacities from Table 7: [version, level, the most bytes it holds]. */
const CAPACITY = /** @type {[number, ECLevel, number][]} */ ([
  [1, 'L', 17], [1, 'M', 14], [1, 'Q', 11], [1, 'H', 7],
  [2, 'L', 32], [2, 'M', 26], [2, 'Q', 20], [2, 'H', 14],
  [3, 'M', 42], [4, 'M', 62], [5, 'Q', 60], [6, 'H', 58],
  [7, 'L', 154], [7, 'M', 122], [7, 'Q', 86], [7, 'H', 64],
  [9, 'L', 230], [10, 'L', 271], // the character count grows from 8 to 16 bits at version 10
  [15, 'M', 412], [25, 'H', 535],
  [40, 'L', 2953], [40, 'M', 2331], [40, 'Q', 1663], [40, 'H', 1273],
]);

test('the smallest version that holds the bytes, at each capacity limit of Table 7', () => {
  for (const [version, ecl, bytes] of CAPACITY) {
    const fits = encodeQR('a'.repeat(bytes), { ecl });
    assert.equal(fits.version, version, `${bytes} bytes at ${ecl}`);
    assert.equal(versionOf(fits), version);
    if (version < 40) assert.equal(encodeQR('a'.repeat(bytes + 1), { ecl }).version, version + 1, `${bytes + 1} bytes at ${ecl}`);
  }
});

test('the level defaults to M; the room link of 49 bytes needs version 4 at M, 3 at L', () => {
  const link = 'https://call.example.com/r/Yv3x0m3k2QdA8i5cV7XwZg';
  assert.deepEqual(encodeQR(link), encodeQR(link, { ecl: 'M' }));
  assert.equal(encodeQR(link).version, 4);
  assert.equal(encodeQR(link, { ecl: 'L' }).version, 3);
});

test('bytes are counted in UTF-8: 7 Korean syllables are 21 bytes', () => {
  assert.equal(encodeQR('마주마주마주마', { ecl: 'L' }).version, 2); // 21 > 17
  assert.equal(encodeQR('마주마주마', { ecl: 'L' }).version, 1); // 15 bytes
  assert.equal(encodeQR('', { ecl: 'L' }).version, 1);
});

test('RangeError for text too long for version 40, and for an unknown level', () => {
  assert.throws(() => encodeQR('a'.repeat(2954), { ecl: 'L' }), RangeError);
  assert.throws(() => encodeQR('a'.repeat(2332)), RangeError);
  assert.throws(() => encodeQR('a'.repeat(1274), { ecl: 'H' }), RangeError);
  assert.throws(() => encodeQR('마'.repeat(778), { ecl: 'M' }), RangeError); // 2334 bytes
  assert.throws(() => encodeQR('x', { ecl: /** @type {ECLevel} */ (/** @type {unknown} */ ('X')) }), RangeError);
});

test('the matrix is square, size 4·v + 17, of booleans', () => {
  for (const [text, ecl] of /** @type {[string, ECLevel][]} */ ([['x', 'L'], ['a'.repeat(100), 'H'], ['a'.repeat(1000), 'M']])) {
    const qr = encodeQR(text, { ecl });
    assert.equal(qr.size, 4 * qr.version + 17);
    assert.equal(qr.modules.length, qr.size);
    for (const row of qr.modules) {
      assert.equal(row.length, qr.size);
      assert.ok(row.every((m) => typeof m === 'boolean'));
    }
    assert.ok(Number.isInteger(qr.mask) && qr.mask >= 0 && qr.mask <= 7);
  }
});

test('the output is deterministic', () => {
  const text = 'https://192.168.1.23:8080/r/AbCdEfGhIjKlMnOpQrStUv';
  for (const ecl of /** @type {ECLevel[]} */ (['L', 'M', 'Q', 'H'])) assert.deepEqual(encodeQR(text, { ecl }), encodeQR(text, { ecl }));
});

test('finder patterns with their separators, timing patterns and the dark module', () => {
  for (const text of ['x', 'a'.repeat(200)]) {
    const { size, modules } = encodeQR(text);
    // A finder is a 7×7 dark ring, a light ring and a 3×3 dark centre; the separator around it is light.
    for (const [left, top] of [[0, 0], [size - 7, 0], [0, size - 7]]) {
      for (let dy = -1; dy <= 7; dy++) {
        for (let dx = -1; dx <= 7; dx++) {
          const x = left + dx;
          const y = top + dy;
          if (x < 0 || y < 0 || x >= size || y >= size) continue;
          const ring = Math.max(Math.abs(dx - 3), Math.abs(dy - 3));
          assert.equal(modules[y][x], ring <= 1 || ring === 3, `finder at (${left},${top}): module (${x},${y})`);
        }
      }
    }
    for (let i = 8; i < size - 8; i++) {
      assert.equal(modules[6][i], i % 2 === 0, `horizontal timing at ${i}`);
      assert.equal(modules[i][6], i % 2 === 0, `vertical timing at ${i}`);
    }
    assert.equal(modules[size - 8][8], true, 'dark module');
  }
});

test('an alignment pattern at (size − 7, size − 7) from version 2 on', () => {
  const { size, modules } = encodeQR('a'.repeat(20)); // version 2
  assert.equal(size, 25);
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) assert.equal(modules[18 + dy][18 + dx], Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
  }
});

/** The 15-bit format information of every level and mask, most significant bit first (Annex C). */
const FORMAT_INFO = {
  L: ['111011111000100', '111001011110011', '111110110101010', '111100010011101', '110011000101111', '110001100011000', '110110001000001', '110100101110110'],
  M: ['101010000010010', '101000100100101', '101111001111100', '101101101001011', '100010111111001', '100000011001110', '100111110010111', '100101010100000'],
  Q: ['011010101011111', '011000001101000', '011111100110001', '011101000000110', '010010010110100', '010000110000011', '010111011011010', '010101111101101'],
  H: ['001011010001001', '001001110111110', '001110011100111', '001100111010000', '000011101100010', '000001001010101', '000110100001100', '000100000111011'],
};

/**
 * Both copies of the format information in a matrix, read most significant bit first (Figure 25):
 * around the upper-left finder along row 8 left to right, then up column 8 (skipping the timing
 * patterns); and up column 8 from the bottom edge, then along row 8 to the right edge.
 * @param {boolean[][]} m
 * @returns {[string, string]}
 */
function readFormatInfo(m) {
  const size = m.length;
  const bit = (/** @type {number} */ x, /** @type {number} */ y) => (m[y][x] ? '1' : '0');
  let first = '';
  for (const x of [0, 1, 2, 3, 4, 5, 7, 8]) first += bit(x, 8);
  for (const y of [7, 5, 4, 3, 2, 1, 0]) first += bit(8, y);
  let second = '';
  for (let y = size - 1; y >= size - 7; y--) second += bit(8, y);
  for (let x = size - 8; x < size; x++) second += bit(x, 8);
  return [first, second];
}

test('format information: the level and the chosen mask, in both places, as in Annex C', () => {
  const masks = new Set();
  for (const ecl of /** @type {ECLevel[]} */ (['L', 'M', 'Q', 'H'])) {
    for (let n = 1; n <= 60; n += 7) {
      const qr = encodeQR(`https://example.com/${'x'.repeat(n)}`, { ecl });
      const [first, second] = readFormatInfo(qr.modules);
      assert.equal(first, FORMAT_INFO[ecl][qr.mask], `${ecl}, mask ${qr.mask}, upper left`);
      assert.equal(second, FORMAT_INFO[ecl][qr.mask], `${ecl}, mask ${qr.mask}, split copy`);
      masks.add(qr.mask);
    }
  }
  assert.ok(masks.size >= 4, `masks chosen: ${[...masks]}: the choice should depend on the data`);
});

/**
 * The version information block above the lower-left finder (6 columns × 3 rows at rows size − 11 to
 * size − 9) and the one left of the upper-right finder (its transpose): bit i, 0 the least significant,
 * at column ⌊i/3⌋, row size − 11 + i mod 3 of the first (Annex D, Figure 27).
 * @param {boolean[][]} m
 * @returns {[number, number]}
 */
function readVersionInfo(m) {
  const size = m.length;
  let lowerLeft = 0;
  let upperRight = 0;
  for (let i = 17; i >= 0; i--) {
    const a = size - 11 + (i % 3);
    const b = Math.floor(i / 3);
    lowerLeft = (lowerLeft << 1) | (m[a][b] ? 1 : 0);
    upperRight = (upperRight << 1) | (m[b][a] ? 1 : 0);
  }
  return [lowerLeft, upperRight];
}

test('version information from version 7 on, as in Annex D', () => {
  // [version, level, bytes to reach it, its 18-bit version information]
  const cases = /** @type {[number, ECLevel, number, number][]} */ ([
    [7, 'L', 150, 0x07c94],
    [8, 'L', 180, 0x085bc],
    [10, 'M', 200, 0x0a4d3],
    [21, 'Q', 500, 0x15683],
    [40, 'L', 2900, 0x28c69],
  ]);
  for (const [version, ecl, bytes, info] of cases) {
    const qr = encodeQR('a'.repeat(bytes), { ecl });
    assert.equal(qr.version, version);
    assert.deepEqual(readVersionInfo(qr.modules), [info, info], `version ${version}`);
  }
});

/**
 * The modules an SVG path paints, from its subpaths "M x y h w v 1 h −w z", as "x,y" strings.
 * @param {string} d
 * @returns {string[]}
 */
function paintedModules(d) {
  const painted = [];
  const subpaths = d.match(/M[^M]*/g) ?? [];
  assert.equal(subpaths.join(''), d);
  for (const sub of subpaths) {
    const m = /^M(\d+) (\d+)h(\d+)v1h-(\d+)z$/.exec(sub);
    assert.ok(m, `subpath ${sub}`);
    const [x, y, w, back] = m.slice(1).map(Number);
    assert.equal(back, w, `subpath ${sub} closes its rectangle`);
    assert.ok(w >= 1);
    for (let i = 0; i < w; i++) painted.push(`${x + i},${y}`);
  }
  return painted;
}

test('qrPath paints exactly the dark modules, once each, inside the quiet zone', () => {
  for (const [text, margin] of /** @type {[string, number | undefined][]} */ ([['x', undefined], ['https://call.example.com/r/Yv3x0m3k2QdA8i5cV7XwZg', 4], ['a'.repeat(300), 0], ['y', 2]])) {
    const qr = encodeQR(text);
    const path = margin === undefined ? qrPath(qr) : qrPath(qr, { margin });
    const q = margin ?? 4;
    const side = qr.size + 2 * q;
    assert.equal(path.viewBox, `0 0 ${side} ${side}`);
    const dark = [];
    for (let y = 0; y < qr.size; y++) {
      for (let x = 0; x < qr.size; x++) if (qr.modules[y][x]) dark.push(`${x + q},${y + q}`);
    }
    const painted = paintedModules(path.d);
    assert.equal(new Set(painted).size, painted.length, 'no module painted twice');
    assert.deepEqual(painted.sort(), dark.sort());
  }
});

test('qrPath merges each horizontal run of dark modules into one rectangle', () => {
  const qr = { size: 3, modules: [[true, true, true], [false, false, false], [true, false, true]] };
  assert.deepEqual(qrPath(qr, { margin: 1 }), { viewBox: '0 0 5 5', d: 'M1 1h3v1h-3zM1 3h1v1h-1zM3 3h1v1h-1z' });
});
