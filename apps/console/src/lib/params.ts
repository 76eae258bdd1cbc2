import { notFound } from 'next/navigation';
import { NAME_PATTERN } from '@skyroad/governance';

/** Namespace and service from the URL; anything that is not a valid name is a 404. */
export async function serviceParams(
  params: Promise<{ ns: string; svc: string }>,
): Promise<{ ns: string; svc: string }> {
  const { ns, svc } = await params;
  if (!NAME_PATTERN.test(ns) || !NAME_PATTERN.test(svc)) notFound();
  return { ns, svc };
}
