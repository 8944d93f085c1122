// Data-driven interaction tests: each file in testdata/ is a script of commands with golden
// output. Run with REWRITE=1 to regenerate the golden output after an intended change (and read
// the diff!).
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InteractionEnv, parseScript, renderScript, runLine } from './interaction-env.js';

const directory = fileURLToPath(new URL('../../../test/raft/testdata/', import.meta.url));
const rewrite = process.env['REWRITE'] === '1';

for (const file of readdirSync(directory)
  .filter((name) => name.endsWith('.txt'))
  .sort()) {
  test(`interaction: ${file}`, () => {
    const path = directory + file;
    const source = readFileSync(path, 'utf8');
    const env = new InteractionEnv();
    const actual: string[] = [];
    for (const testCase of parseScript(source)) {
      let output: string;
      try {
        output = runLine(env, testCase.line);
      } catch (error) {
        output = `error: ${(error as Error).message}`;
      }
      actual.push(output);
      if (!rewrite) assert.equal(output, testCase.expected, `${file}: ${testCase.line}`);
    }
    if (rewrite) writeFileSync(path, renderScript(source, actual));
  });
}
