// Validates glTF/GLB files with the Khronos glTF-Validator.
// Usage: node validate.mjs FILE...   Prints one JSON report per file (with its path) and exits
// 1 when any report has errors, 2 when a file cannot be read or validated.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import validator from 'gltf-validator';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node validate.mjs FILE.glb|FILE.gltf...');
  process.exit(2);
}
let status = 0;
for (const file of files) {
  let report;
  try {
    const bytes = await readFile(file);
    const folder = path.dirname(path.resolve(file));
    report = await validator.validateBytes(new Uint8Array(bytes), {
      uri: path.basename(file),
      maxIssues: 200,
      // External buffers and images of a .gltf are read from its own folder only.
      externalResourceFunction: async (uri) => {
        const resolved = path.resolve(folder, decodeURIComponent(uri));
        if (path.dirname(resolved) !== folder && !resolved.startsWith(folder + path.sep)) {
          throw new Error(`${uri} is outside ${folder}`);
        }
        return new Uint8Array(await readFile(resolved));
      },
    });
  } catch (error) {
    console.error(`${file}: could not validate: ${error}`);
    status = 2;
    continue;
  }
  console.log(JSON.stringify({ file, report }, null, 2));
  if (report.issues.numErrors > 0) {
    console.error(`${file}: ${report.issues.numErrors} error(s)`);
    status = Math.max(status, 1);
  }
}
process.exit(status);
