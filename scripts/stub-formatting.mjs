// Replaces the bodies of core's `Display`/`Debug` impls left in the wasm
// with `unreachable`, before wasm-opt runs.
//
//   node scripts/stub-formatting.mjs <module.wasm>   (needs its name section)
//
// The standalone build's panic handler never formats its message, and no
// `format!` is left in the SDK, so nothing calls these: they are kept only
// because panic sites store pointers to them in `fmt::Arguments` (js-sys's
// RefCell borrow errors, the allocation-failure message). Together they and
// what they pull in (`Formatter::pad`, integer printing) are ~2.3 KB, 1.1 KB
// gzip. The script refuses when the module can format after all (when
// `core::fmt::write` or another caller of those pointers is present).
import binaryen from 'binaryen';
import { readFileSync, writeFileSync } from 'node:fs';

const [path] = process.argv.slice(2);
if (!path) {
  console.error('usage: stub-formatting.mjs <module.wasm>');
  process.exit(2);
}

const module = binaryen.readBinary(readFileSync(path));
// Names as wasm-bindgen keeps them: v0 (`core[hash]::…`) or legacy
// (`core::…::h<hash>`) demangling.
const hash = '(::h[0-9a-f]{16})?';
const formatter = new RegExp(`^<.* as core(\\[[0-9a-f]+\\])?::fmt::(Display|Debug|LowerHex|UpperHex)>::fmt${hash}$`);
const caller = new RegExp(`core(\\[[0-9a-f]+\\])?::fmt::write${hash}$|::write_fmt${hash}$|::fmt::Arguments`);
const stubs = [];
let named = false;
for (let i = 0; i < module.getNumFunctions(); i++) {
  const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
  named ||= info.name.includes('::');
  if (caller.test(info.name)) {
    console.error(`stub-formatting: ${info.name} can call formatting code; not stubbing`);
    process.exit(1);
  }
  if (formatter.test(info.name)) stubs.push(info);
}
if (!named) {
  console.error('stub-formatting: the module has no function names (run wasm-bindgen with --keep-debug)');
  process.exit(1);
}
for (const info of stubs) {
  module.removeFunction(info.name);
  module.addFunction(info.name, info.params, info.results, [], module.unreachable());
}
if (!module.validate()) {
  console.error('stub-formatting: the module is no longer valid');
  process.exit(1);
}
writeFileSync(path, module.emitBinary());
console.log(`stub-formatting: ${stubs.length} formatting functions replaced`);
