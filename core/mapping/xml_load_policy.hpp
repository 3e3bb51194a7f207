// How stylesheets, the files they import and schemas are read: as config, from local files
// only, with no DTD loading, no entity substitution and no network.
#pragma once

#include <string>

#include "core/xml/xml.hpp"

struct _xsltSecurityPrefs;

namespace egov::core {

// Parses a stylesheet (or schema) file: no DTD loading, no entity substitution, no network,
// CDATA merged into text. Null on failure; the parser's errors go to this thread's
// ScopedXmlErrorCapture. Refuses URLs other than plain paths and file: URLs.
XmlDocPtr readConfigXml(const std::string& file);

// Refuses every file and network access by a transform: document(), xsl:document,
// exsl:document. Created once; shared read-only by all transforms.
_xsltSecurityPrefs* transformSecurityPrefs();

// Process-wide, once (registerMappingExtensions calls it): makes libxslt load xsl:import and
// xsl:include through readConfigXml and never load a document at run time, and refuses network
// URLs for every libxml2 load (xmlNoNetExternalEntityLoader), which also covers the schemas
// xs:include and xs:import pull in. Installs the libxslt error routing of xml_diagnostics.hpp.
void installXmlLoadPolicy();

}  // namespace egov::core
