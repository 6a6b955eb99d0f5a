// Harness for authgate's integration tests (node:test). See docs/TESTING.md.
export {
  freePort, spawnService, tempDir, sleep, liveServices, stopAll, isAlive,
} from './process.mjs';
export {
  Browser, CookieJar, parseForms, buildSubmission, isSelfPostingPage, decodeEntities,
} from './browser.mjs';
export {
  startProvider, startRedis, startNginx, startUpstream, startAuthgate, authgateBin,
  authgateAvailable, REPO_ROOT,
} from './services.mjs';
export { login, USERS, isProviderLoginPage } from './login.mjs';
export { startRecorder } from './recorder.mjs';
export { wsConnect } from './websocket.mjs';
export { startStrictUpstream, startNginxEcho } from './strict_upstream.mjs';
export { rawConnect, RawHttpError } from './raw_http.mjs';
export { startSentinelSet, redisCli, writeAcknowledged } from './sentinel.mjs';
export { startPostgres, postgresAvailable, postgresBinDir } from './postgres.mjs';
