// The AI SDK and its providers ship ES modules only: under Jest's CommonJS
// runtime they are required (jest.config.js transpiles them on the way in),
// typed through a type-only import that TypeScript resolves as ESM.
import type * as Ai from 'ai' with { 'resolution-mode': 'import' };
import type * as OpenAiProvider from '@ai-sdk/openai' with { 'resolution-mode': 'import' };
import type * as AnthropicProvider from '@ai-sdk/anthropic' with { 'resolution-mode': 'import' };

/* eslint-disable @typescript-eslint/no-require-imports */
export const ai = require('ai') as typeof Ai;
export const { createOpenAI } = require('@ai-sdk/openai') as typeof OpenAiProvider;
export const { createAnthropic } = require('@ai-sdk/anthropic') as typeof AnthropicProvider;
