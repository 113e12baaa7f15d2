import { describe, expect, it } from '@jest/globals';
import { projectTabs } from '../../../../../src/services/features/web/pages/project-tabs.js';

const labels = (role: 'viewer' | 'member' | 'maintainer') => projectTabs(7, role, 'members').map((tab) => tab.label);

describe("a project's tabs", () => {
  it('offers a viewer and a member no settings and no variables', () => {
    expect(labels('viewer')).toEqual(['Pipelines', 'Schedules', 'Members', 'Deliveries']);
    expect(labels('member')).toEqual(['Pipelines', 'Schedules', 'Members', 'Deliveries']);
  });

  it('offers a maintainer every page, and marks the current one', () => {
    expect(projectTabs(7, 'maintainer', 'settings')).toEqual([
      { href: '/projects/7', label: 'Pipelines', current: false },
      { href: '/projects/7/schedules', label: 'Schedules', current: false },
      { href: '/projects/7/members', label: 'Members', current: false },
      { href: '/projects/7/deliveries', label: 'Deliveries', current: false },
      { href: '/projects/7/variables', label: 'Variables', current: false },
      { href: '/projects/7/settings', label: 'Settings', current: true },
    ]);
  });
});
