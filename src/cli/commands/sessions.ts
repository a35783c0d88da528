import type { Command } from 'commander';

export function defineSessionCommands(_program: Command): void {}
