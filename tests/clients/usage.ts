// What a CRM integrator writes against the types openapi-typescript generates from
// openapi/openapi.json (checked with tsc --strict by test_generated_clients.py, which
// writes ./schema.d.ts next to a copy of this file).
import type { components, paths } from "./schema";

type ContactCheck =
  paths["/customers/{customer_ref}/contact-check"]["get"]["responses"][200]["content"]["application/json"];
type FlatCheck =
  paths["/customers/{customer_ref}/contact-check/flat"]["get"]["responses"][200]["content"]["application/json"];
type Restrictions = components["schemas"]["RestrictionsOut"];

export function mayCall(answer: ContactCheck): [components["schemas"]["Outcome"], string | null] {
  return [answer.outcome, answer.next_allowed_at];
}

export function flatOutcome(answer: FlatCheck): string {
  return answer.outcome;
}

export function callWindows(read: Restrictions): Array<[string[], string, string]> {
  const windows: Array<[string[], string, string]> = [];
  for (const marker of read.markers) {
    if (marker.kind === "telephone_schedule") {
      for (const window of marker.details.windows) {
        windows.push([window.days, window.start, window.end]);
      }
    }
  }
  return windows;
}
