import { startFakeModalServer, encodeMessage, text } from '../test/fakes/modal-grpc.ts';
const server = await startFakeModalServer();
process.env.MODAL_SERVER_URL = server.url;
process.env.MODAL_CONFIG_PATH = '/nonexistent';
const { sdkModalApi } = await import('../src/backends/modal.ts');
server.handle('AuthTokenGet', () => ({ message: encodeMessage([[1, 'header.' + Buffer.from(JSON.stringify({ exp: Math.floor(Date.now()/1000)+3600 })).toString('base64url') + '.sig']]) }));
server.handle('AppGetOrCreate', () => ({ message: encodeMessage([[1, 'ap-123']]) }));
server.handle('SandboxGetFromNameV2', () => ({ status: 5, details: 'Sandbox with name cairn-s1 not found' }));
server.handle('SandboxGetFromName', () => ({ status: 5, details: 'Sandbox with name cairn-s1 not found' }));
process.env.MODAL_IMAGE_BUILDER_VERSION = '2024.10';
server.handle('ImageGetOrCreate', () => ({ message: encodeMessage([[1, 'im-1'], [2, encodeMessage([[1, 1]])]]) }));
server.handle('SandboxCreate', () => ({ message: encodeMessage([[1, 'sb-1']]) }));
server.handle('SandboxGetTaskId', () => ({ message: encodeMessage([[1, 'ta-1']]) }));
server.handle('TaskGetCommandRouterAccess', () => ({ status: 9, details: 'command router disabled in the fake' }));
server.handle('SandboxTerminate', () => ({ message: Buffer.alloc(0) }));
const api = sdkModalApi({ tokenId: 'ak-id', tokenSecret: 'as-secret', app: 'cairn' });
try {
  const { ModalBackend } = await import('../src/backends/modal.ts');
  const b = new ModalBackend({ api, image: 'debian:bookworm-slim', workdir: '/workspace', cpu: 2, memoryMb: 2048, timeoutMinutes: 60, idleMinutes: 30, defaultTimeoutMs: 1000 });
  await b.start('s1', { env: {} });
} catch (e) { console.log('ERR', (e as Error).constructor.name, (e as any).code, (e as Error).message); }
for (const c of server.calls) console.log(c.method, JSON.stringify([...c.message.entries()].map(([k, v]) => [k, v.map(x => typeof x === 'bigint' ? Number(x) : x.toString('utf8').slice(0, 80))])), c.metadata['x-modal-token-id']);
api.close(); await server.close(); process.exit(0);
