import type { HttpClient } from '../http-client.js';

/** A listed party whose name matched. */
export interface ScreeningHit {
  id: string;
  name: string;
  source: string;
}

/** Screens parties against export and sanctions lists (first implementation: the CSL API). */
export interface ScreeningConnector {
  /** Listed parties matching the name (fuzzy), optionally only those of the given countries. */
  search(name: string, countries?: readonly string[]): Promise<ScreeningHit[]>;
}

interface CslSearchResponse {
  total: number;
  results: { id: string; name: string; source: string }[];
}

/**
 * The International Trade Administration's Consolidated Screening List
 * (`GET /consolidated_screening_list/v1/search`, key in the `subscription-key` header).
 */
export function createCslScreening(client: HttpClient): ScreeningConnector {
  return {
    async search(name, countries) {
      const response = await client.get<CslSearchResponse>(
        '/consolidated_screening_list/v1/search',
        {
          query: {
            name,
            fuzzy_name: true,
            ...(countries && countries.length > 0 ? { countries: countries.join(',') } : {}),
          },
        },
      );
      return response.results.map((result) => ({
        id: result.id,
        name: result.name,
        source: result.source,
      }));
    },
  };
}
