import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../../http/deps.ts';

export async function registerSignin(_app: FastifyInstance, _deps: ServerDeps): Promise<void> {}
