// deploy/library: libauthgate as a user's project gets it (docs/LIBRARY.md).
// `cmake --install BUILD --component devel` into a temporary prefix, then, against that
// prefix only: a project with find_package(authgate CONFIG) builds and runs
// tests/deploy/library/consumer.cc, and the same program builds and runs with
// `pkg-config --cflags --libs authgate`. Each public header compiled on its own is
// deploy.library_headers (library_headers.test.mjs).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';

import { REPO_ROOT, tempDir } from '../tooling/lib/index.mjs';

import { CONSUMER, CXX, configureConsumer, filesUnder, installLibrary, run } from './library_helpers.mjs';

/** What consumer.cc prints when every call did what the library promises. */
function assertConsumerOutput(out) {
  assert.deepEqual(out.trim().split('\n'), [
    'verified sub=alice kid=consumer-key',
    'tampered: bad_signature',
    'an hour later: expired',
    'session subject=alice id_token_kept=1',
    'unknown cookie: session_not_found',
    'discovery token_endpoint=https://issuer.example/oauth/token fetches=1',
  ]);
}

describe('the installed library', () => {
  let prefix;
  let work;
  let libdir;
  before(() => {
    ({ prefix, libdir } = installLibrary());
    work = tempDir('authgate-consumer-');
  });

  test('installs exactly the public headers, the archives, the CMake package and authgate.pc', () => {
    const headers = filesUnder(path.join(prefix, 'include'));
    assert.deepEqual(headers, filesUnder(path.join(REPO_ROOT, 'include')).filter((f) => f.endsWith('.h')),
      'include/ holds the public headers and nothing else (no src/ header)');
    const libs = filesUnder(path.join(prefix, libdir));
    for (const f of ['libauthgate_core.a', 'libauthgate_jose.a', 'libauthgate_oidc.a', 'libauthgate_rp.a', 'libauthgate_session.a',
      'libauthgate_session_sqlite.a', 'libauthgate_session_redis.a', 'libauthgate_session_stores.a',
      'cmake/authgate/authgateConfig.cmake', 'cmake/authgate/authgateConfigVersion.cmake',
      'cmake/authgate/authgateTargets.cmake', 'pkgconfig/authgate.pc']) {
      assert.ok(libs.includes(f), `${libdir}/${f} installed (have: ${libs.join(', ')})`);
    }
    for (const absent of ['bin', 'etc', 'share']) {
      assert.ok(!fs.existsSync(path.join(prefix, absent)), `the devel component installs no ${absent}/`);
    }
    assert.ok(!libs.some((f) => /libauthgate_(gateway|config|net|cli)/.test(f)), 'no binary-side module is installed');
  });

  test('find_package(authgate CONFIG): a consumer builds, links and runs', () => {
    const build = path.join(work, 'cmake');
    configureConsumer(prefix, build);
    run('cmake', ['--build', build, '--target', 'consumer']);
    assertConsumerOutput(run(path.join(build, 'consumer'), []));
  });

  test('find_package(authgate 0.2 CONFIG) refuses this 0.1 package', () => {
    const src = path.join(work, 'too-new');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'CMakeLists.txt'), [
      'cmake_minimum_required(VERSION 3.25)', 'project(too_new LANGUAGES CXX)',
      'find_package(authgate 0.2 CONFIG REQUIRED)', ''].join('\n'));
    assert.throws(() => run('cmake', ['-S', src, '-B', path.join(src, 'b'), `-DCMAKE_PREFIX_PATH=${prefix}`,
      `-DCMAKE_CXX_COMPILER=${CXX}`]), /compatible with requested version "0\.2"[\s\S]*version: 0\.1\.0/);
  });

  test('pkg-config: the same consumer builds from `pkg-config --cflags --libs authgate` and runs', () => {
    const env = { ...process.env, PKG_CONFIG_PATH: path.join(prefix, libdir, 'pkgconfig') };
    assert.equal(run('pkg-config', ['--modversion', 'authgate'], { env }).trim(), '0.1.0');
    const flags = run('pkg-config', ['--cflags', '--libs', 'authgate'], { env }).trim().split(/\s+/);
    // The prefix is found from the .pc file's own place (${pcfiledir}): the tree can move.
    const includes = flags.filter((f) => f.startsWith('-I')).map((f) => path.resolve(f.slice(2)));
    assert.ok(includes.includes(path.join(prefix, 'include')), `the prefix's include/ in: ${flags.join(' ')}`);
    const exe = path.join(work, 'consumer-pc');
    run(CXX, ['-std=c++20', '-Wall', '-Wextra', '-Werror', path.join(CONSUMER, 'consumer.cc'), '-o', exe, ...flags]);
    assertConsumerOutput(run(exe, []));
  });
});
