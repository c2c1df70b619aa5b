// Unit tests of tokenization, ids and vocabularies (pure).
import { assert, assertEquals, assertThrows } from '../../test/assert.ts';
import {
  idsOutOfRange,
  parseIds,
  parseVocabulary,
  shownTokenCount,
  tokenize,
} from './input_tokens.ts';

const BUNDLED = JSON.stringify({
  tokens: ['[PAD]', '[UNK]', 'the', 'free', 'click', '2002'],
  seq_len: 8,
  classes: ['ham', 'spam'],
  pad_id: 0,
  unk_id: 1,
  lowercase: true,
  token_regex: '[a-z0-9]+',
});

Deno.test('tokenize: the bundled format, lower case, [a-z0-9]+ words, [UNK], padding', () => {
  const v = parseVocabulary(BUNDLED);
  assertEquals(v.seqLen, 8);
  assertEquals(v.classes?.join(), 'ham,spam');
  const t = tokenize('CLICK the FREE-offer, 2002!', v, 8);
  // words: click the free offer 2002 → 4 2 3 1 5, then padding.
  assertEquals(t.ids.join(), '4,2,3,1,5,0,0,0');
  assertEquals(t.tokens.join('|'), 'click|the|free|offer|2002|[PAD]|[PAD]|[PAD]');
  assertEquals([t.count, t.unknown, t.truncated].join(), '5,1,0');
  const cut = tokenize('the the the', v, 2);
  assertEquals(cut.ids.join(), '2,2');
  assertEquals(cut.truncated, 1);
});

Deno.test('the bundled models/text_vocab.json tokenizes as the model was trained', async () => {
  const v = parseVocabulary(await Deno.readTextFile('models/text_vocab.json'));
  assertEquals(v.tokens.length, 2002);
  const t = tokenize('Click here for FREE', v, 64);
  assertEquals(t.ids.length, 64);
  assertEquals(t.ids.slice(0, 4).join(), [55, 65, 9, 49].join());
  assertEquals(t.ids[4], 0);
});

Deno.test('parseVocabulary: array, {token: id}, tokenizer.json; bad input named', () => {
  const a = parseVocabulary('["<pad>", "<unk>", "hello", "world"]');
  assertEquals([a.padId, a.unkId].join(), '0,1');
  assertEquals(tokenize('hello there world', a, 3).ids.join(), '2,1,3');
  const o = parseVocabulary('{"[PAD]": 0, "hi": 2, "[UNK]": 1}');
  assertEquals(o.tokens.join(), '[PAD],[UNK],hi');
  const hf = parseVocabulary(
    JSON.stringify({
      normalizer: { lowercase: true },
      model: { vocab: { '[PAD]': 0, '[UNK]': 1, 'yes': 2 } },
    }),
  );
  assert(hf.lowercase);
  assertEquals(tokenize('YES no', hf, 2).ids.join(), '2,1');
  assertThrows(() => parseVocabulary('{"a": "x"}'), Error, "maps 'a'");
  assertThrows(() => parseVocabulary('not json'), Error, 'not valid JSON');
  assertThrows(() => parseVocabulary('[]'), Error, 'no tokens');
});

Deno.test('parseIds and the range check', () => {
  assertEquals(parseIds(' 12, 7 301\n4').join(), '12,7,301,4');
  assertEquals(parseIds('').length, 0);
  assertThrows(() => parseIds('1, 2.5'), Error, "Token id 2 ('2.5')");
  assertThrows(() => parseIds('-3'), Error, 'non-negative');
  assertEquals(idsOutOfRange([0, 1999, 2001], 2002), null);
  const m = idsOutOfRange([5, 2002], 2002);
  assert(m !== null && m.includes('2002') && m.includes('position 2') && m.includes('0..2001'), m!);
});

Deno.test('shownTokenCount drops trailing padding only', () => {
  assertEquals(shownTokenCount(['a', '[PAD]', 'b', '[PAD]', '[PAD]']), 3);
  assertEquals(shownTokenCount(['[PAD]', '[PAD]']), 1);
});
