// In-memory storage adapter for oidc-provider. Written here instead of using the
// bundled one so the test-control endpoints can enumerate and drop sessions
// (/__test/end-session) and register clients at run time (/__test/clients).

const stores = new Map(); // model name -> Map(id -> {payload, expiresAt})
const byUid = new Map(); // session uid -> id
const byUserCode = new Map();
const byGrant = new Map(); // grantId -> Set of "model:id"

function storeFor(name) {
  if (!stores.has(name)) stores.set(name, new Map());
  return stores.get(name);
}

function alive(entry) {
  return entry && (entry.expiresAt === undefined || entry.expiresAt > Date.now());
}

export class MemoryAdapter {
  constructor(name) {
    this.name = name;
    this.store = storeFor(name);
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
    this.store.set(id, { payload: structuredClone(payload), expiresAt });
    if (payload.uid) byUid.set(payload.uid, id);
    if (payload.userCode) byUserCode.set(payload.userCode, id);
    if (payload.grantId) {
      if (!byGrant.has(payload.grantId)) byGrant.set(payload.grantId, new Set());
      byGrant.get(payload.grantId).add(`${this.name}:${id}`);
    }
  }

  async find(id) {
    const entry = this.store.get(id);
    if (!alive(entry)) {
      this.store.delete(id);
      return undefined;
    }
    return structuredClone(entry.payload);
  }

  async findByUid(uid) {
    const id = byUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = byUserCode.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const entry = this.store.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    this.store.delete(id);
  }

  async revokeByGrantId(grantId) {
    const keys = byGrant.get(grantId);
    if (!keys) return;
    for (const key of keys) {
      const i = key.indexOf(':');
      storeFor(key.slice(0, i)).delete(key.slice(i + 1));
    }
    byGrant.delete(grantId);
  }

  // Test-tool helpers (not part of the oidc-provider adapter contract).
  static entries(name) {
    const out = [];
    for (const [id, entry] of storeFor(name)) {
      if (alive(entry)) out.push([id, entry.payload]);
    }
    return out;
  }

  static remove(name, id) {
    storeFor(name).delete(id);
  }
}
