// Unit tests of the languages: locale files complete and consistent, the Korean UI free of English, every
// key the pages and scripts use defined, and i18n.js's choice of language and translation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { MESSAGES, pickLocale, translator } from '../../web/static/js/i18n.js';
import { NOTICE_KEYS } from '../../web/static/js/media.js';

const STATIC = new URL('../../web/static/', import.meta.url);

/** Latin words allowed in Korean text: names and protocols that are written this way in Korean too. */
const LATIN_IN_KOREAN = new Set(['maju', 'https', 'r', 'ID', 'IP', 'UDP', 'TCP', 'TLS', 'WebRTC', 'Chrome', 'Safari', 'Firefox', 'Edge', 'SNS', 'ice', 'relay']);

test('Korean has exactly the English keys, and every placeholder', () => {
  const en = MESSAGES.en;
  const ko = MESSAGES.ko;
  assert.deepEqual(Object.keys(ko).sort(), Object.keys(en).sort());
  for (const key of Object.keys(en)) {
    const names = (/** @type {string} */ s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    if (key === 'state.ended.serverSaid') continue; // Korean leaves out the server's English words on purpose
    assert.deepEqual(names(ko[key]), names(en[key]), `${key}: placeholders`);
  }
});

test('the Korean texts contain no English words', () => {
  for (const [key, text] of Object.entries(MESSAGES.ko)) {
    const words = text.replace(/\{\w+\}/g, '').match(/[A-Za-z]+/g) ?? [];
    const english = words.filter((w) => !LATIN_IN_KOREAN.has(w));
    assert.deepEqual(english, [], `${key}: "${text}"`);
    if (text !== '' && !/^\(?\{?\w*\}?\)? ?maju · \{status\}$/.test(text)) {
      assert.match(text, /[\uac00-\ud7a3]/, `${key} has Hangul`);
    }
  }
});

test('every key the pages and scripts use is defined', () => {
  const keys = new Set(Object.keys(MESSAGES.en));
  /** @type {string[]} */
  const used = [];
  for (const name of readdirSync(STATIC)) {
    if (!name.endsWith('.html')) continue;
    const html = readFileSync(new URL(name, STATIC), 'utf8');
    for (const m of html.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g)) {
      if (!m[0].includes('-params=')) used.push(m[1]);
    }
  }
  const js = new URL('js/', STATIC);
  const prefixes = 'lang|nav|action|landing|notfound|room|invite|self|controls|ctl|chat|state|remote|path|diag|unsupported|media|notice|server|settings|stats';
  const literal = new RegExp(`'((?:${prefixes})\\.[A-Za-z0-9.-]+)'`, 'g');
  for (const name of readdirSync(js)) {
    if (!name.endsWith('.js')) continue;
    const source = readFileSync(new URL(name, js), 'utf8');
    for (const m of source.matchAll(literal)) used.push(m[1]);
  }
  used.push(...NOTICE_KEYS); // built from parts in media.js, so not found as literals
  assert.ok(used.length > 50, `found ${used.length} uses`);
  const missing = used.filter((k) => !keys.has(k) && !keys.has(`${k}.title`));
  assert.deepEqual([...new Set(missing)], []);
});

test('pickLocale: the saved choice, then the browser languages, then English', () => {
  assert.equal(pickLocale('ko', ['en-US']), 'ko');
  assert.equal(pickLocale(null, ['ko-KR', 'en']), 'ko');
  assert.equal(pickLocale(null, ['fr-FR', 'ko']), 'ko');
  assert.equal(pickLocale('de', ['fr']), 'en');
  assert.equal(pickLocale(null, []), 'en');
  assert.equal(pickLocale(null, ['EN-gb']), 'en');
});

test('translator fills placeholders and falls back', () => {
  const ko = translator('ko');
  assert.equal(ko('ctl.chatUnread', { count: 3 }), '채팅, 읽지 않은 메시지 3개');
  assert.equal(translator('en')('path.relayedVia', { protocol: 'UDP' }), 'Relayed (UDP)');
  assert.equal(ko('no.such.key'), 'no.such.key');
  assert.equal(translator('en')('path.relayedVia'), 'Relayed ({protocol})', 'a missing value keeps its placeholder');
});
