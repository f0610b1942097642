/** Streaming XML for the Office readers: saxes with namespaces, throwing at the first well-formedness error. */
import { SaxesParser, type SaxesTagNS } from 'saxes';

export type { SaxesTagNS as XmlTag };

export interface XmlHandlers {
  open?: (tag: SaxesTagNS) => void;
  text?: (text: string) => void;
  close?: (tag: SaxesTagNS) => void;
}

export function parseXml(xml: string, handlers: XmlHandlers): void {
  const parser = new SaxesParser({ xmlns: true });
  if (handlers.open) parser.on('opentag', handlers.open);
  if (handlers.text) parser.on('text', handlers.text);
  if (handlers.close) parser.on('closetag', handlers.close);
  parser.write(xml).close();
}
