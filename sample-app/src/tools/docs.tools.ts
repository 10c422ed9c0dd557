import { Injectable } from '@nestjs/common';
import { AgentTool } from 'nestjs-agent-logging';

const ARTICLES = [
  { title: 'Shipping times', text: 'Orders ship within 2 business days.' },
  { title: 'Refund policy', text: 'Refunds are possible within 30 days of delivery.' },
];

@Injectable()
export class DocsTools {
  @AgentTool('search_docs')
  async searchDocs(args: { query: string }) {
    await new Promise((resolve) => setTimeout(resolve, 3));
    const words = args.query.toLowerCase().split(/\W+/);
    const hit = ARTICLES.find((a) => words.some((w) => w.length > 3 && a.title.toLowerCase().includes(w)));
    return hit ?? { title: 'No match', text: 'I could not find an article about that.' };
  }
}
