// deploy/kubernetes: both overlays render offline with `kubectl kustomize`, every
// object validates against the Kubernetes schemas (npm kubernetes-models), and the
// invariants docs/DEPLOY.md promises hold: probes, non-root, read-only root, the
// session-key Secret in every ha replica, exactly one replica for SQLite.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import { parseAllDocuments } from 'yaml';

import { REPO_ROOT } from '../tooling/lib/index.mjs';

const OVERLAYS = path.join(REPO_ROOT, 'deploy/kubernetes/overlays');

function render(overlay) {
  const out = execFileSync('kubectl', ['kustomize', path.join(OVERLAYS, overlay)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean);
}

/** The kubernetes-models class of an object: kubernetes-models/<group>/<version>. */
async function modelOf({ apiVersion, kind }) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [undefined, apiVersion];
  const mod = await import(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`);
  assert.ok(mod[kind], `kubernetes-models has no ${apiVersion} ${kind}`);
  return mod[kind];
}

async function validateAll(objects) {
  for (const obj of objects) {
    const Model = await modelOf(obj);
    assert.doesNotThrow(() => new Model(obj).validate(), `${obj.kind}/${obj.metadata?.name} is valid`);
  }
}

const byKind = (objects, kind) => objects.filter((o) => o.kind === kind);
const gatewayWorkload = (objects) => objects.find((o) => ['Deployment', 'StatefulSet'].includes(o.kind)
  && o.spec.template.metadata.labels['app.kubernetes.io/component'] === 'gateway');

/** What every authgate pod must have, in either overlay. */
function assertHardenedGateway(workload) {
  const pod = workload.spec.template.spec;
  assert.equal(pod.securityContext.runAsNonRoot, true, 'runAsNonRoot');
  assert.ok(pod.securityContext.runAsUser > 0, 'a non-root uid');
  assert.equal(pod.automountServiceAccountToken, false, 'no API token in the pod');
  const [c] = pod.containers.filter((x) => x.name === 'authgate');
  assert.ok(c, 'an authgate container');
  assert.deepEqual(c.args.slice(0, 1), ['serve']);
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.equal(c.securityContext.readOnlyRootFilesystem, true, 'readOnlyRootFilesystem');
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  assert.ok(c.resources.requests.cpu && c.resources.requests.memory, 'resource requests');
  assert.ok(c.envFrom.some((e) => e.secretRef?.name === 'authgate-credentials'), 'credentials from a Secret');
  const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.mountPath, m]));
  assert.ok(mounts['/etc/authgate/authgate.yaml'], 'the settings file is mounted');
  assert.ok(mounts['/var/lib/authgate'], 'the state directory is mounted');
  return { pod, c, mounts };
}

/** The ConfigMap the gateway mounts, parsed as authgate settings. */
function mountedSettings(objects, pod) {
  const name = pod.volumes.find((v) => v.name === 'config').configMap.name;
  const cm = byKind(objects, 'ConfigMap').find((o) => o.metadata.name === name);
  assert.ok(cm, `the ConfigMap ${name} is rendered (generator hash and reference agree)`);
  return parseAllDocuments(cm.data['authgate.yaml'])[0].toJS();
}

function assertNetworkPolicyCoversGateway(objects) {
  const gw = byKind(objects, 'NetworkPolicy').filter((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/component'] === 'gateway');
  assert.ok(gw.length >= 1, 'a NetworkPolicy selects the gateway pods');
  assert.ok(gw.some((p) => p.spec.policyTypes.includes('Ingress')), 'ingress is restricted');
}

describe('kubernetes overlay single', () => {
  test('renders, validates, one StatefulSet replica with SQLite on a PVC', async () => {
    const objects = render('single');
    await validateAll(objects);
    const w = gatewayWorkload(objects);
    assert.equal(w.kind, 'StatefulSet');
    assert.equal(w.spec.replicas, 1, 'SQLite: exactly one replica');
    const { pod, mounts } = assertHardenedGateway(w);
    const claim = w.spec.volumeClaimTemplates.find((v) => v.metadata.name === mounts['/var/lib/authgate'].name);
    assert.ok(claim, 'the state directory is a PersistentVolumeClaim');
    const settings = mountedSettings(objects, pod);
    assert.match(settings.session.store, /^sqlite:\/var\/lib\/authgate\//, 'the SQLite file is on the claim');
    const env = pod.containers[0].env ?? [];
    assert.ok(!env.some((e) => e.name === 'AUTHGATE_SESSION_STORE'), 'no store override');
    assert.equal(byKind(objects, 'Deployment').length, 0, 'no Deployment (no second writer)');
    assertNetworkPolicyCoversGateway(objects);
  });
});

describe('kubernetes overlay ha', () => {
  test('renders, validates, N replicas on Redis sharing the session-key Secret, PDB', async () => {
    const objects = render('ha');
    await validateAll(objects);
    const w = gatewayWorkload(objects);
    assert.equal(w.kind, 'Deployment');
    assert.ok(w.spec.replicas >= 2, 'several replicas');
    const { pod, c } = assertHardenedGateway(w);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
    assert.match(env.AUTHGATE_SESSION_STORE, /^redis:\/\/authgate-redis:6379\//, 'the shared Redis store');
    // The pod template is every replica: the key Secret mounted there is in each.
    const keyVolume = pod.volumes.find((v) => v.secret?.secretName === 'authgate-session-keys');
    assert.ok(keyVolume, 'the session-key Secret is a volume of the pod template');
    const keyMount = c.volumeMounts.find((m) => m.name === keyVolume.name);
    assert.ok(keyMount?.readOnly, 'mounted read-only');
    assert.equal(env.AUTHGATE_SESSION_ENCRYPTION_KEY_FILE, `${keyMount.mountPath}/session.keys`,
      'authgate reads its keys from the mounted Secret');
    const [pdb] = byKind(objects, 'PodDisruptionBudget');
    assert.ok(pdb, 'a PodDisruptionBudget');
    assert.deepEqual(pdb.spec.selector.matchLabels, w.spec.selector.matchLabels, 'the PDB selects the gateway');
    assert.ok(pdb.spec.minAvailable < w.spec.replicas, 'the PDB leaves room to drain a node');
    const redis = byKind(objects, 'Deployment').find((o) => o.metadata.name === 'authgate-redis');
    assert.ok(redis, 'Redis is deployed');
    const svc = byKind(objects, 'Service').find((o) => o.metadata.name === 'authgate-redis');
    assert.ok(svc, 'a Service named as the store URL says');
    assert.equal(redis.spec.template.spec.securityContext.runAsNonRoot, true, 'Redis runs as non-root');
    const redisPolicy = byKind(objects, 'NetworkPolicy').find((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/component'] === 'redis');
    assert.ok(redisPolicy, 'Redis has its own NetworkPolicy');
    assert.equal(redisPolicy.spec.ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/component'], 'gateway',
      'only the gateway reaches Redis');
    assertNetworkPolicyCoversGateway(objects);
  });

  test('the validator rejects a broken object (the schema check can fail)', async () => {
    const [w] = render('ha').filter((o) => o.kind === 'Deployment');
    const broken = structuredClone(w);
    broken.spec.replicas = 'three';
    const Model = await modelOf(broken);
    assert.throws(() => new Model(broken).validate());
  });
});
