import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../../http/deps.ts';

export async function registerSsoPortal(_app: FastifyInstance, _deps: ServerDeps): Promise<void> {}
