// Shared by deploy.library and deploy.library_headers: libauthgate installed into a
// temporary prefix from AUTHGATE_BUILD_DIR (set by ctest: the build that registered
// the test, the sanitized one under scripts/test, whose installed targets carry
// -fsanitize at link time) with that build's compiler (AUTHGATE_CXX).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { REPO_ROOT, tempDir } from '../tooling/lib/index.mjs';

export const BUILD = process.env.AUTHGATE_BUILD_DIR ?? path.join(REPO_ROOT, 'build/asan');
export const CXX = process.env.AUTHGATE_CXX ?? 'c++';
/** The consumer project: a user's CMake project and the program it builds. */
export const CONSUMER = path.join(REPO_ROOT, 'tests/deploy/library');

export function run(cmd, args, opts = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${e.status}):\n${e.stdout}\n${e.stderr}`);
  }
}

/** Every file under dir, relative to it, sorted. */
export function filesUnder(dir) {
  return fs.readdirSync(dir, { recursive: true })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

/** `cmake --install BUILD --component devel` into a new temporary prefix:
 *  {prefix, libdir} (libdir relative to the prefix: lib, or lib/<multiarch>). */
export function installLibrary() {
  const prefix = tempDir('authgate-prefix-');
  run('cmake', ['--install', BUILD, '--prefix', prefix, '--component', 'devel']);
  const candidates = ['lib', ...fs.readdirSync(path.join(prefix, 'lib')).map((d) => `lib/${d}`)];
  const libdir = candidates.find((d) => fs.existsSync(path.join(prefix, d, 'cmake/authgate')));
  assert.ok(libdir, 'lib/.../cmake/authgate was installed');
  return { prefix, libdir };
}

/** Configures the consumer project against the prefix only; extra: more -D options. */
export function configureConsumer(prefix, build, extra = []) {
  run('cmake', ['-S', CONSUMER, '-B', build, '-G', 'Ninja', `-DCMAKE_PREFIX_PATH=${prefix}`,
    `-DCMAKE_CXX_COMPILER=${CXX}`, ...extra]);
}
