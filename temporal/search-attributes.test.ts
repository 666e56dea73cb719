import fs from 'node:fs';
import path from 'node:path';
import { BILL_STATES } from './search-attributes';

/** The words of the comment block temporal.yaml puts right above `BillState:`, and its own line's comment. */
function documentedBillStates(): Set<string> {
  const lines = fs.readFileSync(path.join(__dirname, '..', 'temporal.yaml'), 'utf8').split('\n');
  const at = lines.findIndex((l) => /^\s+BillState:/.test(l));
  expect(at).toBeGreaterThan(0);
  const doc: string[] = [lines[at].split('#')[1] ?? ''];
  for (let i = at - 1; i >= 0 && /^\s+#/.test(lines[i]); i--) doc.push(lines[i]);
  return new Set(doc.join(' ').match(/\b[a-z]+(?:_[a-z]+)*\b/g) ?? []);
}

test('every BillState value the processes publish is documented in temporal.yaml', () => {
  const documented = documentedBillStates();
  for (const s of BILL_STATES) expect([s, documented.has(s)]).toEqual([s, true]);
  expect(BILL_STATES).toContain('reversed');
  expect(BILL_STATES).not.toContain('scarlet' as never);
});
