// QR codes (ISO/IEC 18004:2015), made locally so the room link never goes to a third party: the waiting
// screen shows one so a call can move to a phone in one scan. One byte mode segment holding the text's
// UTF-8 bytes, without an ECI header (phone scanners recognise UTF-8; room links are ASCII anyway), at
// error correction level L, M, Q or H, in the smallest version that holds it. Section, table and annex
// numbers below are the standard's. No DOM.
//
// The steps, in the order encodeQR runs them:
//   1. data codewords: mode, character count, bytes, terminator and padding (7.4)
//   2. error correction: Reed–Solomon codewords per block, blocks interleaved (7.5, 7.6)
//   3. function patterns: finders, separators, timing, alignment, dark module, version information (6.3, 7.10)
//   4. the codewords placed in the zigzag order of 7.7.3
//   5. each of the 8 masks applied and scored with the penalty rules N1–N4 (7.8), the lowest kept,
//      with its format information (7.9)

/** @typedef {'L' | 'M' | 'Q' | 'H'} ECLevel */

/**
 * An encoded symbol. modules[y][x] is the module in row y, column x; true is dark. There is no quiet
 * zone: the light border of 4 modules that scanners need is the renderer's job (qrPath adds it).
 * @typedef {object} QRCode
 * @property {number} version 1–40
 * @property {number} mask the data mask pattern chosen, 0–7
 * @property {number} size modules a side: 4·version + 17
 * @property {boolean[][]} modules
 */

/**
 * Error correction per level (Table 9): Reed–Solomon codewords per block, and number of blocks, indexed
 * by version − 1. When the data codewords do not divide evenly, the last blocks hold one more.
 * @type {Record<ECLevel, { ecPerBlock: number[], blocks: number[] }>}
 */
const EC_TABLE = {
  L: {
    ecPerBlock: [7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    blocks: [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
  },
  M: {
    ecPerBlock: [10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
    blocks: [1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
  },
  Q: {
    ecPerBlock: [13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    blocks: [1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
  },
  H: {
    ecPerBlock: [17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    blocks: [1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
  },
};

/** The 2-bit error correction level indicator of the format information (Table 12). */
const EC_BITS = { L: 0b01, M: 0b00, Q: 0b11, H: 0b10 };

const BYTE_MODE = 0b0100;
const PAD_CODEWORDS = [0xec, 0x11];

/**
 * Encodes text as a QR code in byte mode.
 * @param {string} text
 * @param {{ ecl?: ECLevel }} [options] the error correction level, M (15 % of the codewords) by default
 * @returns {QRCode}
 * @throws {RangeError} if the text does not fit in version 40 at that level, or the level is unknown
 */
export function encodeQR(text, { ecl = 'M' } = {}) {
  if (!Object.hasOwn(EC_TABLE, ecl)) throw new RangeError(`unknown error correction level ${ecl}`);
  const bytes = new TextEncoder().encode(text);
  const version = chooseVersion(bytes.length, ecl);
  const codewords = addErrorCorrection(dataCodewords(bytes, version, ecl), version, ecl);

  const grid = functionPatterns(version);
  placeCodewords(grid, codewords);

  let best = { mask: -1, penalty: Infinity, modules: grid.modules };
  for (let mask = 0; mask < 8; mask++) {
    const modules = masked(grid, mask);
    drawFormatInfo(modules, ecl, mask);
    const p = penalty(modules);
    if (p < best.penalty) best = { mask, penalty: p, modules };
  }
  return { version, mask: best.mask, size: grid.size, modules: best.modules };
}

/**
 * An SVG path of a code's dark modules, one rectangle per horizontal run of them, with a light quiet
 * zone of margin modules around: put d in a <path> of an <svg> with this viewBox (one unit per module).
 * @param {{ size: number, modules: boolean[][] }} qr
 * @param {{ margin?: number }} [options] quiet zone width in modules, 4 by default (the standard's)
 * @returns {{ viewBox: string, d: string }}
 */
export function qrPath(qr, { margin = 4 } = {}) {
  const parts = [];
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; ) {
      if (!qr.modules[y][x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < qr.size && qr.modules[y][x]) x++;
      const run = x - start;
      parts.push(`M${start + margin} ${y + margin}h${run}v1h-${run}z`);
    }
  }
  const side = qr.size + 2 * margin;
  return { viewBox: `0 0 ${side} ${side}`, d: parts.join('') };
}

// ---- 1. Data codewords (7.4) ----

/**
 * The number of modules free for data and error correction codewords in a version: the symbol minus
 * its function patterns and format and version information (Table 1's data modules).
 * @param {number} version
 * @returns {number}
 */
function dataModules(version) {
  const size = 4 * version + 17;
  let n = size * size;
  n -= 3 * 8 * 8; // three finder patterns (7×7) with their separators
  n -= 2 * (size - 16); // the two timing patterns between the separators
  n -= 2 * 15 + 1; // two copies of the format information, and the dark module
  if (version >= 2) {
    const k = alignmentPositions(version).length;
    // k² alignment patterns of 5×5 but the 3 on finders; 2(k − 2) share 5 modules with a timing pattern.
    n -= (k * k - 3) * 25 - 2 * (k - 2) * 5;
  }
  if (version >= 7) n -= 2 * 18; // two copies of the version information
  return n;
}

/**
 * Data codewords of a version at a level: all codewords (8 data modules each; the rest are remainder
 * bits) minus the error correction ones.
 * @param {number} version
 * @param {ECLevel} ecl
 * @returns {number}
 */
function dataCapacity(version, ecl) {
  const { ecPerBlock, blocks } = EC_TABLE[ecl];
  return Math.floor(dataModules(version) / 8) - ecPerBlock[version - 1] * blocks[version - 1];
}

/**
 * The character count indicator's width in byte mode (Table 3).
 * @param {number} version
 */
function countBits(version) {
  return version <= 9 ? 8 : 16;
}

/**
 * The smallest version whose data codewords hold the mode indicator, the count and the bytes.
 * @param {number} length bytes to encode
 * @param {ECLevel} ecl
 * @returns {number}
 */
function chooseVersion(length, ecl) {
  for (let version = 1; version <= 40; version++) {
    const bits = 4 + countBits(version) + 8 * length;
    if (bits <= 8 * dataCapacity(version, ecl)) return version;
  }
  throw new RangeError(`${length} bytes do not fit in a QR code at level ${ecl}`);
}

/**
 * The data codewords (7.4): byte mode indicator, character count, the bytes, up to 4 terminator bits,
 * zero bits to a byte boundary, then the pad codewords 11101100 and 00010001 in turn to fill the capacity.
 * @param {Uint8Array} bytes
 * @param {number} version
 * @param {ECLevel} ecl
 * @returns {number[]}
 */
function dataCodewords(bytes, version, ecl) {
  const capacity = dataCapacity(version, ecl);
  /** @type {number[]} */
  const bits = [];
  /** @type {(value: number, width: number) => void} */
  const append = (value, width) => {
    for (let i = width - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  append(BYTE_MODE, 4);
  append(bytes.length, countBits(version));
  for (const b of bytes) append(b, 8);
  append(0, Math.min(4, 8 * capacity - bits.length));
  append(0, (8 - (bits.length % 8)) % 8);

  const codewords = [];
  for (let i = 0; i < bits.length; i += 8) {
    codewords.push(bits.slice(i, i + 8).reduce((acc, bit) => (acc << 1) | bit, 0));
  }
  for (let i = 0; codewords.length < capacity; i++) codewords.push(PAD_CODEWORDS[i % 2]);
  return codewords;
}

// ---- 2. Error correction (7.5, 7.6) ----

// GF(256) with the primitive polynomial x⁸ + x⁴ + x³ + x² + 1 (0x11d), as log and antilog tables.
const EXP = new Uint8Array(255);
const LOG = new Uint8Array(256);
for (let i = 0, x = 1; i < 255; i++) {
  EXP[i] = x;
  LOG[x] = i;
  x <<= 1;
  if (x & 0x100) x ^= 0x11d;
}

/**
 * Multiplication in GF(256).
 * @param {number} a
 * @param {number} b
 */
function gfMul(a, b) {
  return a === 0 || b === 0 ? 0 : EXP[(LOG[a] + LOG[b]) % 255];
}

/**
 * The generator polynomial (x − α⁰)(x − α¹)…(x − α^(n−1)) of n error correction codewords (Annex A), its
 * coefficients from the highest power down, without the leading 1.
 * @param {number} n
 * @returns {number[]}
 */
function generatorPolynomial(n) {
  let poly = [1];
  for (let i = 0; i < n; i++) {
    // Multiply by (x + αⁱ): in GF(256), subtraction is addition is XOR.
    const next = [...poly, 0];
    for (let j = 0; j < poly.length; j++) next[j + 1] ^= gfMul(poly[j], EXP[i]);
    poly = next;
  }
  return poly.slice(1);
}

/**
 * The error correction codewords of a block: the remainder of data(x)·xⁿ divided by the generator.
 * @param {number[]} data
 * @param {number[]} generator
 * @returns {number[]}
 */
function reedSolomon(data, generator) {
  const remainder = new Array(generator.length).fill(0);
  for (const d of data) {
    const factor = d ^ /** @type {number} */ (remainder.shift());
    remainder.push(0);
    for (let i = 0; i < generator.length; i++) remainder[i] ^= gfMul(generator[i], factor);
  }
  return remainder;
}

/**
 * Splits the data codewords into the version's blocks, computes each block's error correction codewords,
 * and interleaves them (7.6): the first data codeword of every block, then the second, …, then the error
 * correction codewords likewise.
 * @param {number[]} data
 * @param {number} version
 * @param {ECLevel} ecl
 * @returns {number[]}
 */
function addErrorCorrection(data, version, ecl) {
  const ecLength = EC_TABLE[ecl].ecPerBlock[version - 1];
  const numBlocks = EC_TABLE[ecl].blocks[version - 1];
  const shortLength = Math.floor(data.length / numBlocks);
  const numShort = numBlocks - (data.length % numBlocks); // the first blocks; the others hold one more
  const generator = generatorPolynomial(ecLength);

  /** @type {number[][]} */
  const dataBlocks = [];
  for (let b = 0, offset = 0; b < numBlocks; b++) {
    const length = shortLength + (b < numShort ? 0 : 1);
    dataBlocks.push(data.slice(offset, offset + length));
    offset += length;
  }
  const ecBlocks = dataBlocks.map((block) => reedSolomon(block, generator));
  return [...interleave(dataBlocks, shortLength + 1), ...interleave(ecBlocks, ecLength)];
}

/**
 * Column i of the blocks for i < length, skipping the blocks shorter than i + 1.
 * @param {number[][]} blocks
 * @param {number} length
 * @returns {number[]}
 */
function interleave(blocks, length) {
  const out = [];
  for (let i = 0; i < length; i++) {
    for (const block of blocks) if (i < block.length) out.push(block[i]);
  }
  return out;
}

// ---- 3. Function patterns (6.3) ----

/**
 * A symbol being drawn: modules, and which of them belong to function patterns or format/version
 * information (reserved: no data there, and no mask).
 * @typedef {object} Grid
 * @property {number} size
 * @property {boolean[][]} modules
 * @property {boolean[][]} reserved
 */

/**
 * The centre coordinates of the alignment patterns, on both axes (Annex E, Table E.1): none in version 1;
 * otherwise ⌊v/7⌋ + 2 of them, the first at 6 and the others evenly spaced by an even step back from
 * size − 7. The step is a closed form of the table (from Project Nayuki's QR Code generator): about
 * (size − 13)/(count − 1) made even, 26 and not 28 in version 32. web/qr_test.go checks all 40 versions.
 * @param {number} version
 * @returns {number[]}
 */
function alignmentPositions(version) {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const last = 4 * version + 10;
  const step = Math.floor((version * 8 + count * 3 + 5) / (count * 4 - 4)) * 2;
  const positions = [6];
  for (let i = count - 2; i >= 0; i--) positions.push(last - i * step);
  return positions;
}

/**
 * A grid of the version's size with its function patterns drawn and the format and version information
 * areas reserved (version information drawn too: it does not depend on the mask).
 * @param {number} version
 * @returns {Grid}
 */
function functionPatterns(version) {
  const size = 4 * version + 17;
  /** @type {Grid} */
  const grid = {
    size,
    modules: Array.from({ length: size }, () => new Array(size).fill(false)),
    reserved: Array.from({ length: size }, () => new Array(size).fill(false)),
  };
  /** @type {(x: number, y: number, dark: boolean) => void} */
  const set = (x, y, dark) => {
    grid.modules[y][x] = dark;
    grid.reserved[y][x] = true;
  };

  // Timing patterns (6.3.5): row 6 and column 6 alternate, dark on even coordinates. The finders drawn
  // next overwrite their ends.
  for (let i = 0; i < size; i++) {
    set(i, 6, i % 2 === 0);
    set(6, i, i % 2 === 0);
  }

  // Finder patterns (6.3.3) in three corners: 7×7 dark ring, light ring, 3×3 dark centre; with their
  // light separators (6.3.4) the squares are 9×9, clipped by the symbol's edge.
  for (const [cx, cy] of [[3, 3], [size - 4, 3], [3, size - 4]]) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || x >= size || y < 0 || y >= size) continue;
        const ring = Math.max(Math.abs(dx), Math.abs(dy)); // 0 centre … 4 separator
        set(x, y, ring !== 2 && ring !== 4);
      }
    }
  }

  // Alignment patterns (6.3.6): 5×5 dark ring, light ring, dark centre, at every pair of positions but
  // the three that would overlap the finders.
  const positions = alignmentPositions(version);
  const last = positions.length - 1;
  for (let i = 0; i <= last; i++) {
    for (let j = 0; j <= last; j++) {
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) continue;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) set(positions[i] + dx, positions[j] + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    }
  }

  // Reserve the format information areas (drawn per mask by drawFormatInfo) and set the dark module
  // (7.9.1) beside the lower-left copy.
  for (const [x, y] of formatInfoPositions(size).flat()) set(x, y, false);
  set(8, size - 8, true);

  if (version >= 7) drawVersionInfo(grid, version);
  return grid;
}

/**
 * The BCH code of data: data·x^(degree of generator) plus the remainder of its division by generator,
 * with polynomials over GF(2) as bits of an integer.
 * @param {number} data
 * @param {number} generator
 * @returns {number}
 */
function bch(data, generator) {
  const degree = 31 - Math.clz32(generator);
  let remainder = data << degree;
  for (let bit = 31 - Math.clz32(remainder); bit >= degree; bit--) {
    if (remainder & (1 << bit)) remainder ^= generator << (bit - degree);
  }
  return (data << degree) | remainder;
}

/**
 * Version information (7.10): the 6-bit version and 12 BCH(18, 6) bits, generator
 * x¹² + x¹¹ + x¹⁰ + x⁹ + x⁸ + x⁵ + x² + 1, in two 6×3 blocks: above the lower-left finder and left of the
 * upper-right one. Bit i (0 the least significant) is at row ⌊i/3⌋, column size − 11 + i mod 3 of the
 * upper-right block, and transposed in the other.
 * @param {Grid} grid
 * @param {number} version
 */
function drawVersionInfo(grid, version) {
  const bits = bch(version, 0x1f25);
  for (let i = 0; i < 18; i++) {
    const dark = ((bits >>> i) & 1) === 1;
    const a = grid.size - 11 + (i % 3);
    const b = Math.floor(i / 3);
    for (const [x, y] of [[a, b], [b, a]]) {
      grid.modules[y][x] = dark;
      grid.reserved[y][x] = true;
    }
  }
}

/**
 * The two places of the 15 format information bits (7.9.1, Figure 25), as [x, y] per bit from bit 0 (the
 * least significant) to bit 14. Around the upper-left finder: down column 8 from row 0 to row 8, then
 * left along row 8 from column 7 to 0, skipping the timing patterns. Split: bits 0–7 along row 8 from the
 * right edge leftwards, bits 8–14 down column 8 to the bottom edge.
 * @param {number} size
 * @returns {[number, number][][]}
 */
function formatInfoPositions(size) {
  /** @type {[number, number][]} */
  const upperLeft = [];
  /** @type {[number, number][]} */
  const split = [];
  for (let i = 0; i < 15; i++) {
    if (i < 6) upperLeft.push([8, i]);
    else if (i < 8) upperLeft.push([8, i + 1]);
    else if (i === 8) upperLeft.push([7, 8]);
    else upperLeft.push([14 - i, 8]);
    split.push(i < 8 ? [size - 1 - i, 8] : [8, size - 15 + i]);
  }
  return [upperLeft, split];
}

/**
 * Format information (7.9): the level's 2 bits and the mask's 3, 10 BCH(15, 5) bits (generator
 * x¹⁰ + x⁸ + x⁵ + x⁴ + x² + x + 1), XORed with 101010000010010 so that it is never all light.
 * @param {ECLevel} ecl
 * @param {number} mask
 * @returns {number}
 */
function formatInfo(ecl, mask) {
  return bch((EC_BITS[ecl] << 3) | mask, 0x537) ^ 0x5412;
}

/**
 * Draws the format information for a level and mask into both of its places.
 * @param {boolean[][]} modules
 * @param {ECLevel} ecl
 * @param {number} mask
 */
function drawFormatInfo(modules, ecl, mask) {
  const bits = formatInfo(ecl, mask);
  for (const positions of formatInfoPositions(modules.length)) {
    positions.forEach(([x, y], i) => (modules[y][x] = ((bits >>> i) & 1) === 1));
  }
}

// ---- 4. Codeword placement (7.7.3) ----

/**
 * Places the codewords' bits, most significant first, in the free modules: in two-module-wide columns
 * from the right edge, upwards then downwards in turn, right module before left, skipping the vertical
 * timing pattern. Free modules left over (remainder bits) stay light.
 * @param {Grid} grid
 * @param {number[]} codewords
 */
function placeCodewords(grid, codewords) {
  const { size, modules, reserved } = grid;
  let i = 0;
  for (let right = size - 1, upward = true; right >= 1; right -= 2, upward = !upward) {
    if (right === 6) right = 5; // column 6 is the timing pattern: the next pair is columns 5 and 4
    for (let step = 0; step < size; step++) {
      const y = upward ? size - 1 - step : step;
      for (const x of [right, right - 1]) {
        if (reserved[y][x]) continue;
        if (i < codewords.length * 8) modules[y][x] = ((codewords[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
        i++;
      }
    }
  }
}

// ---- 5. Masking (7.8) ----

/**
 * The data mask conditions (Table 10) of the module in row i, column j: where true, it is inverted.
 * @type {((i: number, j: number) => boolean)[]}
 */
const MASKS = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i + j) % 2) + ((i * j) % 3)) % 2 === 0,
];

/**
 * A copy of the grid's modules with a data mask applied to every module outside the reserved ones.
 * @param {Grid} grid
 * @param {number} mask
 * @returns {boolean[][]}
 */
function masked(grid, mask) {
  const condition = MASKS[mask];
  return grid.modules.map((row, i) => row.map((dark, j) => (grid.reserved[i][j] ? dark : dark !== condition(i, j))));
}

/**
 * The penalty score of a masked symbol, format information included (7.8.3, Table 11); lower is better.
 * Where the standard's words allow two readings (N3 counted once per pattern even with light modules on
 * both sides, N4 in whole 5 % steps), this reads them as ZXing does, so that both choose the same mask.
 * @param {boolean[][]} modules
 * @returns {number}
 */
function penalty(modules) {
  const rows = modules;
  const columns = modules.map((_, x) => modules.map((row) => row[x]));
  let score = 0;
  for (const line of [...rows, ...columns]) score += runPenalty(line) + finderLikePenalty(line);
  return score + blockPenalty(modules) + balancePenalty(modules);
}

/**
 * N1: 3 + (k − 5) for each run of k ≥ 5 modules of one colour in a row or column.
 * @param {boolean[]} line
 * @returns {number}
 */
function runPenalty(line) {
  let score = 0;
  let run = 1;
  for (let i = 1; i <= line.length; i++) {
    if (i < line.length && line[i] === line[i - 1]) {
      run++;
      continue;
    }
    if (run >= 5) score += 3 + (run - 5);
    run = 1;
  }
  return score;
}

/**
 * N2: 3 for each 2×2 block of one colour (blocks may overlap: an m×n area of one colour scores
 * 3·(m − 1)·(n − 1), as the standard has it).
 * @param {boolean[][]} modules
 * @returns {number}
 */
function blockPenalty(modules) {
  let score = 0;
  for (let y = 0; y + 1 < modules.length; y++) {
    for (let x = 0; x + 1 < modules.length; x++) {
      const c = modules[y][x];
      if (modules[y][x + 1] === c && modules[y + 1][x] === c && modules[y + 1][x + 1] === c) score += 3;
    }
  }
  return score;
}

/** A finder-like pattern: dark, light, dark ×3, light, dark (1:1:3:1:1). */
const FINDER_LIKE = [true, false, true, true, true, false, true];

/**
 * N3: 40 for each 1:1:3:1:1 pattern in a row or column with 4 light modules on at least one side. Beyond
 * the symbol's edge is the quiet zone, which is light.
 * @param {boolean[]} line
 * @returns {number}
 */
function finderLikePenalty(line) {
  /** @type {(from: number, to: number) => boolean} all light from index from to to (excluded) */
  const light = (from, to) => line.slice(Math.max(0, from), to).every((dark) => !dark);
  let score = 0;
  for (let i = 0; i + FINDER_LIKE.length <= line.length; i++) {
    let k = 0;
    while (k < FINDER_LIKE.length && line[i + k] === FINDER_LIKE[k]) k++;
    if (k < FINDER_LIKE.length) continue;
    const end = i + FINDER_LIKE.length;
    if (light(i - 4, i) || light(end, end + 4)) score += 40;
  }
  return score;
}

/**
 * N4: 10 for each full 5 % step by which the proportion of dark modules departs from 50 %.
 * @param {boolean[][]} modules
 * @returns {number}
 */
function balancePenalty(modules) {
  const total = modules.length * modules.length;
  const dark = modules.reduce((n, row) => n + row.filter(Boolean).length, 0);
  return 10 * Math.floor((Math.abs(2 * dark - total) * 10) / total);
}
