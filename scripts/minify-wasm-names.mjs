// Shortens the wasm module's import and export names and rewrites the
// wasm-bindgen glue to match: wasm-bindgen names every import
// `__wbg_<name>_<16 hex digits>` under the module "./herald_sdk_bg.js",
// which costs ~1.3 KB gzip in the .wasm and as much again in the glue.
//
//   node scripts/minify-wasm-names.mjs <glue.js> <module.wasm>
//
// binaryen's pass does the renaming and prints the mapping; every old name
// must be found in the glue, or the build stops (a wasm-bindgen upgrade
// that changes the glue's shape must not ship a module that cannot link).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const [gluePath, wasmPath] = process.argv.slice(2);
if (!gluePath || !wasmPath) {
  console.error('usage: minify-wasm-names.mjs <glue.js> <module.wasm>');
  process.exit(2);
}

const map = JSON.parse(
  execFileSync(
    'node_modules/.bin/wasm-opt',
    ['--minify-imports-and-exports-and-modules', wasmPath, '-o', wasmPath],
    { encoding: 'utf8' },
  ),
);

let glue = readFileSync(gluePath, 'utf8');
const escape = (s) => s.replace(/[$.*+?^(){}[\]|\\]/g, '\\$&');
function rename(pattern, to, what) {
  const before = glue;
  glue = glue.replace(pattern, to);
  if (glue === before) throw new Error(`minify-wasm-names: ${what} not found in ${gluePath}`);
}

// wasm-bindgen's own imports come from "./herald_sdk_bg.js" (the glue's
// `import0` object); a snippet's function that needs no glue (js/sync.js)
// is imported straight from the snippet module. binaryen gives every
// module one short name: the glue must hand all of them in that one object.
const BG = './herald_sdk_bg.js';
const oldModules = new Set(map.imports.map(([module]) => module));
const newModules = new Set(
  WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmPath))).map((i) => i.module),
);
if (!oldModules.has(BG) || newModules.size !== 1) {
  throw new Error(`minify-wasm-names: expected ${BG} and one module after, got ${[...oldModules]} -> ${[...newModules]}`);
}
const [newModule] = newModules;
rename(new RegExp(`"${escape(BG)}":`, 'g'), `"${newModule}":`, `module "${BG}"`);

// Import functions are keys of the glue's imports object: `name: function(`.
const snippetEntries = [];
for (const [module, from, to] of map.imports) {
  if (module === BG) {
    rename(new RegExp(`(?<![\\w$])${escape(from)}(?=:)`, 'g'), to, `import ${from}`);
    continue;
  }
  // `"<snippet>": importN,` in the returned object names its namespace.
  const entry = glue.match(new RegExp(`"${escape(module)}": (import\\d+),`));
  if (!entry) throw new Error(`minify-wasm-names: module ${module} not found in ${gluePath}`);
  snippetEntries.push(`${to}: ${entry[1]}.${from},`);
}
for (const module of oldModules) {
  if (module !== BG) rename(new RegExp(`\\s*"${escape(module)}": import\\d+,`, 'g'), '', `module "${module}"`);
}
if (snippetEntries.length) {
  rename(/const import0 = \{\n(\s*)__proto__: null,/, (m, indent) => `${m}\n${indent}${snippetEntries.join(`\n${indent}`)}`, 'import0');
}
// Exports are read as `wasm.name`; some (wasm-bindgen's abort hooks) are
// not read by the glue at all, but none may be read any other way.
for (const [from, to] of map.exports) {
  glue = glue.replace(new RegExp(`(?<=\\bwasm\\.)${escape(from)}(?![\\w$])`, 'g'), to);
  if (new RegExp(`exports\\.${escape(from)}(?![\\w$])|['"\`]${escape(from)}['"\`]`).test(glue)) {
    throw new Error(`minify-wasm-names: export ${from} is used in ${gluePath} other than as wasm.${from}`);
  }
}
writeFileSync(gluePath, glue);
console.log(`minify-wasm-names: ${map.imports.length} imports, ${map.exports.length} exports renamed`);
