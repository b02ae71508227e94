"""Article intake: from a file or URL to text, sentences and scored candidate claims.

Pure of the database:

- :mod:`.loading`: reading a file or fetching a URL (size caps, charsets, HTML
  to Markdown with trafilatura);
- :mod:`.text`: headings, sections and paragraphs of an article;
- :mod:`.extract`: sentences -> check-worthiness scores, reasons and claim types;
- :mod:`.consistency`: places where an article disagrees with itself;
- :mod:`.repeats`: which earlier sentences a new one may repeat, without comparing
  it with all of them.

The use case that stores an import and its candidates is
:func:`tracker.services.import_article`.
"""
