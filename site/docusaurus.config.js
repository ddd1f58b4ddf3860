// The ds4j documentation site. Build: npm ci && npm run build (output in build/); serve: bin/ds4j docs.
// @ts-check
const {themes: prismThemes} = require('prism-react-renderer');

/** @type {import('@docusaurus/types').Config} */
const config = {
  title: 'ds4j',
  tagline: 'DeepSpeed-grade training for Deeplearning4j / ND4J',
  url: 'http://127.0.0.1',
  baseUrl: '/',
  onBrokenLinks: 'throw',
  onBrokenAnchors: 'throw',
  markdown: {
    // .md pages are plain CommonMark (no JSX), as they are read on GitHub too
    format: 'detect',
    hooks: {onBrokenMarkdownLinks: 'throw', onBrokenMarkdownImages: 'throw'},
  },
  i18n: {defaultLocale: 'en', locales: ['en']},
  presets: [
    [
      'classic',
      /** @type {import('@docusaurus/preset-classic').Options} */
      ({
        docs: {
          path: 'docs',
          routeBasePath: '/',
          sidebarPath: require.resolve('./sidebars.js'),
        },
        blog: false,
        theme: {customCss: require.resolve('./src/css/custom.css')},
      }),
    ],
  ],
  themes: [
    [
      require.resolve('@easyops-cn/docusaurus-search-local'),
      {hashed: true, indexBlog: false, docsRouteBasePath: '/', highlightSearchTermsOnTargetPage: true},
    ],
  ],
  themeConfig:
    /** @type {import('@docusaurus/preset-classic').ThemeConfig} */
    ({
      navbar: {
        title: 'ds4j',
        items: [
          {type: 'docSidebar', sidebarId: 'docs', position: 'left', label: 'Docs'},
          {to: '/config-reference', label: 'Config reference', position: 'left'},
          {to: '/cli', label: 'CLI', position: 'left'},
        ],
      },
      footer: {
        style: 'dark',
        copyright: 'ds4j: DeepSpeed configs, ZeRO and mixed precision for Eclipse Deeplearning4j / ND4J.',
      },
      prism: {theme: prismThemes.github, darkTheme: prismThemes.dracula, additionalLanguages: ['java', 'bash', 'json']},
      tableOfContents: {minHeadingLevel: 2, maxHeadingLevel: 3},
    }),
};

module.exports = config;
