import type { DiffLine } from '../lib/json-diff';

export function DiffView({ lines, label }: { lines: DiffLine[]; label: string }) {
  return (
    <pre className="diff" aria-label={label}>
      {lines.map((line, i) => (
        <div key={i} className={line.kind === 'same' ? undefined : line.kind}>
          {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
          {line.text}
        </div>
      ))}
    </pre>
  );
}
