#!/bin/sh
# Packs bench/device-gpu.ts (and bench/device-cpu.ts, the merge bench on its many-core host) for a lent GPU machine that has no Node and no npm: one bundled script,
# Dawn (the webgpu package), and this machine's Node binary (x86-64, needs only glibc and libstdc++),
# compressed, into .devgpu/ (git-ignored through .git/info/exclude). On the machine:
#   xz -dc .devgpu/node.xz > /tmp/node && chmod +x /tmp/node && xz -dc .devgpu/dawn.node.xz > .devgpu/node_modules/webgpu/dist/linux-x64/dawn.node
#   VK_ICD_FILENAMES=<the driver's icd.json> /tmp/node .devgpu/bench.mjs "$OUT"
set -e
cd "$(dirname "$0")/.."
grep -qx '/.devgpu/' .git/info/exclude 2>/dev/null || echo '/.devgpu/' >> .git/info/exclude
mkdir -p .devgpu/node_modules/webgpu/dist/linux-x64
npx esbuild bench/device-gpu.ts --bundle --platform=node --format=esm --target=node20 --external:webgpu \
  --outfile=.devgpu/bench.mjs --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
npx esbuild bench/device-cpu.ts --bundle --platform=node --format=esm --target=node20 --external:webgpu --external:esbuild \
  --outfile=.devgpu/cpu.mjs --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
npx esbuild src/node/merge-worker.ts --bundle --platform=node --format=cjs --target=node20 --outfile=.devgpu/merge-worker.cjs --log-level=warning
cp node_modules/webgpu/index.js node_modules/webgpu/package.json .devgpu/node_modules/webgpu/
[ -f .devgpu/dawn.node.xz ] || xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > .devgpu/dawn.node.xz
[ -f .devgpu/node.xz ] || xz -T2 -6 -c "$(command -v node)" > .devgpu/node.xz
du -sh .devgpu
