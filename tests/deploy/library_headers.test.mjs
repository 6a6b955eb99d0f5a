// deploy/library_headers: every installed public header compiles on its own, in a
// project that found the package with find_package(authgate CONFIG) and nothing of the
// source tree (docs/LIBRARY.md "Public headers"). A header that includes a header of
// src/ (not installed), or that needs a declaration it does not include, fails here.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';

import { tempDir } from '../tooling/lib/index.mjs';

import { configureConsumer, filesUnder, installLibrary, run } from './library_helpers.mjs';

test('each public header compiles alone against the installed tree', () => {
  const { prefix } = installLibrary();
  const headers = filesUnder(path.join(prefix, 'include'));
  assert.ok(headers.length > 30, `the public headers were installed (${headers.length})`);
  const build = path.join(tempDir('authgate-headers-'), 'cmake');
  configureConsumer(prefix, build, [`-DAUTHGATE_HEADERS=${headers.join(';')}`]);
  run('cmake', ['--build', build, '--target', 'headers_alone', '-j', '2']);
  const objects = filesUnder(build).filter((f) => f.includes('headers_alone') && f.endsWith('.o'));
  assert.equal(objects.length, headers.length, 'one object per public header');
});
