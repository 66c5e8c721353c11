// Makes sure the machine has what the test suite and the playground need:
// Debian's chromium (the browser tests and the SwiftShader Vulkan ICD that Dawn uses in Node)
// and libvulkan1. Installs them when running as root; otherwise says exactly what to install.
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const VK_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function hasLibVulkan() {
  const r = spawnSync('sh', ['-c', 'ldconfig -p | grep -q libvulkan.so.1'], { stdio: 'ignore' });
  return r.status === 0;
}

function aptInstall(pkgs) {
  const sh = `
    for i in $(seq 1 60); do
      if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkgs.join(' ')}; then exit 0; fi
      echo "apt busy or failed, retrying ($i)"; sleep 5
    done; exit 1`;
  execFileSync('sh', ['-c', sh], { stdio: 'inherit' });
}

export function ensureSystemDeps({ quiet = false } = {}) {
  const missing = [];
  if (!existsSync(CHROMIUM) || !existsSync(VK_ICD)) missing.push('chromium');
  if (!hasLibVulkan()) missing.push('libvulkan1');
  if (missing.length) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!isRoot) {
      console.error(`kinmerge: missing system packages: ${missing.join(', ')}.\n` +
        `Install them with:  sudo apt-get install -y ${missing.join(' ')}\n` +
        `(or set CHROMIUM_PATH to a Chromium binary).`);
      process.exit(1);
    }
    if (!quiet) console.log(`kinmerge: installing ${missing.join(', ')} (apt-get)…`);
    aptInstall(missing);
  }
  // Dawn (the `webgpu` package) finds SwiftShader through this ICD in Node.
  if (!process.env.VK_ICD_FILENAMES && existsSync(VK_ICD)) process.env.VK_ICD_FILENAMES = VK_ICD;
  // Without it, the Wayland client library that Dawn loads prints an error line per GPU test (harmless noise).
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = join(tmpdir(), `kinmerge-xdg-${process.getuid?.() ?? 'user'}`); // one per user, reused across runs
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
}
