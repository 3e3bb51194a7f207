#include "adapters/pagopa/pagopa_canonical.hpp"

#include <cstring>
#include <vector>

namespace egov::adapters::pagopa {
namespace {

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

Fault systemError(std::string description) {
  return Fault{"PAA_SYSTEM_ERROR", std::move(description)};
}

// ---- canonical documents (every element in urn:egovbus:pagopa) ----

core::XmlDocPtr newCanonical(const char* root_name, xmlNs** ns) {
  core::XmlDocPtr doc(xmlNewDoc(x("1.0")));
  if (!doc) return doc;
  xmlNode* root = xmlNewDocNode(doc.get(), nullptr, x(root_name), nullptr);
  if (!root) return nullptr;
  xmlDocSetRootElement(doc.get(), root);
  *ns = xmlNewNs(root, x(kCanonicalNs), nullptr);
  xmlSetNs(root, *ns);
  return doc;
}

void add(xmlNode* parent, xmlNs* ns, const char* name, const std::string& text) {
  xmlNewTextChild(parent, ns, x(name), x(text.c_str()));
}
void addIfAny(xmlNode* parent, xmlNs* ns, const char* name, const std::string& text) {
  if (!text.empty()) add(parent, ns, name, text);
}

bool isCanonical(const xmlNode* node, const char* name) {
  return node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
         std::strcmp(reinterpret_cast<const char*>(node->ns->href), kCanonicalNs) == 0 &&
         std::strcmp(reinterpret_cast<const char*>(node->name), name) == 0;
}
const xmlNode* child(const xmlNode* parent, const char* name) {
  for (const xmlNode* c = parent ? parent->children : nullptr; c; c = c->next) {
    if (isCanonical(c, name)) return c;
  }
  return nullptr;
}
std::vector<const xmlNode*> children(const xmlNode* parent, const char* name) {
  std::vector<const xmlNode*> out;
  for (const xmlNode* c = parent ? parent->children : nullptr; c; c = c->next) {
    if (isCanonical(c, name)) out.push_back(c);
  }
  return out;
}
std::string text(const xmlNode* parent, const char* name) {
  return core::xmlText(child(parent, name));
}

void addCaller(xmlNode* root, xmlNs* ns, const xmlNode& wire) {
  add(root, ns, "idPA", wireText(&wire, "idPA"));
  add(root, ns, "idBrokerPA", wireText(&wire, "idBrokerPA"));
  add(root, ns, "idStation", wireText(&wire, "idStation"));
}

// The wire subtree as canonical elements: same names and order, in the canonical namespace.
void copyQualified(const xmlNode* from, xmlNode* to, xmlNs* ns, const std::string& id_pa) {
  for (const xmlNode* c = from->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    bool leaf = true;
    for (const xmlNode* g = c->children; g; g = g->next) leaf = leaf && g->type != XML_ELEMENT_NODE;
    if (leaf) {
      add(to, ns, reinterpret_cast<const char*>(c->name), core::xmlText(c));
      continue;
    }
    xmlNode* copy = xmlNewChild(to, ns, c->name, nullptr);
    if (std::strcmp(reinterpret_cast<const char*>(c->name), "transfer") == 0 &&
        wireText(c, "fiscalCodePA") == id_pa) {
      xmlNewProp(copy, x("own"), x("true"));
    }
    copyQualified(c, copy, ns, id_pa);
  }
}

// ---- checks on the canonical response ----

Fault statusFault(const std::string& status, const std::string& detail) {
  std::string code = "PAA_SYSTEM_ERROR";
  if (status == "unknown") code = "PAA_PAGAMENTO_SCONOSCIUTO";
  if (status == "paid") code = "PAA_PAGAMENTO_DUPLICATO";
  if (status == "expired") code = "PAA_PAGAMENTO_SCADUTO";
  if (status == "cancelled") code = "PAA_PAGAMENTO_ANNULLATO";
  if (status == "in-progress") code = "PAA_PAGAMENTO_IN_CORSO";
  return Fault{code, detail};
}

// Euro text as the wire wants it, or nullopt when it is not a positive amount.
std::optional<long long> positiveCents(const std::string& amount) {
  auto cents = amountToCents(amount);
  if (!cents || *cents <= 0) return std::nullopt;
  return cents;
}

// Poste Italiane's ABI code: an Italian IBAN of a postal current account (CCP).
bool postalIban(const std::string& iban) {
  return iban.size() >= 10 && iban.compare(0, 2, "IT") == 0 && iban.compare(5, 5, "07601") == 0;
}

struct Common {
  long long cents = 0;
  std::string amount;  // \d+\.\d{2}
  std::string company_name;
  std::string office_name;
};

std::variant<Common, Fault> readCommon(const xmlNode* root, const TenantSettings& tenant) {
  Common out;
  const auto amount = text(root, "amount");
  if (amount.empty()) return systemError("the back-end answer has no amount");
  auto cents = positiveCents(amount);
  if (!cents) return systemError("the amount " + amount + " is not a positive euro amount");
  out.cents = *cents;
  out.amount = centsToAmount(*cents);
  out.company_name = text(root, "companyName");
  if (out.company_name.empty()) out.company_name = tenant.company_name;
  out.office_name = text(root, "officeName");
  if (out.office_name.empty()) out.office_name = tenant.office_name;
  return out;
}

void addPaymentList(xmlNode* root, const xmlNode* canonical, const Common& common) {
  xmlNode* option = wireAppend(wireAppend(root, "paymentList"), "paymentOptionDescription");
  wireAppend(option, "amount", common.amount);
  const auto options = text(canonical, "options");
  wireAppend(option, "options", options.empty() ? std::string("EQ") : options);
  if (auto due = text(canonical, "dueDate"); !due.empty()) wireAppend(option, "dueDate", due);
  if (auto description = text(canonical, "description"); !description.empty()) {
    wireAppend(option, "detailDescription", description);
  }
  std::string all_ccp = text(canonical, "allCCP");
  if (all_ccp.empty()) {
    const auto transfers = children(canonical, "transfer");
    bool postal = !transfers.empty();
    for (const auto* transfer : transfers) postal = postal && postalIban(text(transfer, "iban"));
    all_ccp = postal ? "true" : "false";
  }
  wireAppend(option, "allCCP", all_ccp == "1" || all_ccp == "true" ? "true" : "false");
}

void addTail(xmlNode* root, const xmlNode* canonical, const TenantSettings& tenant,
             const Common& common) {
  if (auto description = text(canonical, "description"); !description.empty()) {
    wireAppend(root, "paymentDescription", description);
  }
  wireAppend(root, "fiscalCodePA", tenant.fiscal_code);
  wireAppend(root, "companyName", common.company_name);
  if (!common.office_name.empty()) wireAppend(root, "officeName", common.office_name);
}

void addMetadata(xmlNode* parent, const xmlNode* canonical) {
  const xmlNode* metadata = child(canonical, "metadata");
  if (!metadata) return;
  xmlNode* out = wireAppend(parent, "metadata");
  for (const auto* entry : children(metadata, "entry")) {
    xmlNode* map_entry = wireAppend(out, "mapEntry");
    wireAppend(map_entry, "key", core::xmlAttr(entry, "key"));
    wireAppend(map_entry, "value", core::xmlText(entry));
  }
}

Answer verifyResponse(const OperationInfo& operation, const xmlNode* root,
                      const TenantSettings& tenant) {
  auto common = readCommon(root, tenant);
  if (auto* fault = std::get_if<Fault>(&common)) return std::move(*fault);
  auto doc = newResponse(operation);
  xmlNode* out = xmlDocGetRootElement(doc.get());
  wireAppend(out, "outcome", std::string("OK"));
  addPaymentList(out, root, std::get<Common>(common));
  addTail(out, root, tenant, std::get<Common>(common));
  return doc;
}

Answer demandResponse(const OperationInfo& operation, const xmlNode* root,
                      const TenantSettings& tenant) {
  auto common = readCommon(root, tenant);
  if (auto* fault = std::get_if<Fault>(&common)) return std::move(*fault);
  const auto notice = text(root, "noticeNumber");
  if (notice.empty()) return systemError("the back-end answer has no noticeNumber");
  if (auto parsed = parseNoticeNumber(notice); !parsed) return systemError(parsed.error().message);
  auto doc = newResponse(operation);
  xmlNode* out = xmlDocGetRootElement(doc.get());
  wireAppend(out, "outcome", std::string("OK"));
  xmlNode* qr = wireAppend(out, "qrCode");
  wireAppend(qr, "fiscalCode", tenant.fiscal_code);
  wireAppend(qr, "noticeNumber", notice);
  addPaymentList(out, root, std::get<Common>(common));
  addTail(out, root, tenant, std::get<Common>(common));
  return doc;
}

Answer activateResponse(const OperationInfo& operation, const xmlNode* root,
                        const TenantSettings& tenant, const NoticeNumber* notice) {
  const bool v2 = operation.operation == Operation::get_payment_v2;
  auto read = readCommon(root, tenant);
  if (auto* fault = std::get_if<Fault>(&read)) return std::move(*fault);
  const auto& common = std::get<Common>(read);
  const auto due = text(root, "dueDate");
  if (due.empty()) return systemError("the back-end answer has no dueDate");
  const auto description = text(root, "description");
  if (description.empty()) return systemError("the back-end answer has no description");
  const xmlNode* debtor = child(root, "debtor");
  if (!debtor) return systemError("the back-end answer has no debtor");
  const auto transfers = children(root, "transfer");
  if (transfers.empty() || transfers.size() > 5) {
    return systemError("a payment has 1 to 5 transfers, not " + std::to_string(transfers.size()));
  }
  long long sum = 0;
  for (const auto* transfer : transfers) {
    auto cents = positiveCents(text(transfer, "amount"));
    if (!cents) return systemError("a transfer amount is not a positive euro amount");
    sum += *cents;
    if (!v2 && child(transfer, "stamp")) {
      return systemError("a digital stamp transfer needs paGetPaymentV2");
    }
  }
  if (sum != common.cents) {
    return systemError("the transfers add up to " + centsToAmount(sum) + ", the payment is " +
                       common.amount);
  }

  auto doc = newResponse(operation);
  xmlNode* out = xmlDocGetRootElement(doc.get());
  wireAppend(out, "outcome", std::string("OK"));
  xmlNode* data = wireAppend(out, "data");
  auto reference = text(root, "creditorReferenceId");
  wireAppend(data, "creditorReferenceId", reference.empty() && notice ? notice->iuv : reference);
  wireAppend(data, "paymentAmount", common.amount);
  wireAppend(data, "dueDate", due);
  if (auto retention = text(root, "retentionDate"); !retention.empty()) {
    wireAppend(data, "retentionDate", retention);
  }
  if (auto last = text(root, "lastPayment"); !last.empty()) {
    wireAppend(data, "lastPayment", last == "1" || last == "true" ? "true" : "false");
  }
  wireAppend(data, "description", description);
  wireAppend(data, "companyName", common.company_name);
  if (!common.office_name.empty()) wireAppend(data, "officeName", common.office_name);

  xmlNode* subject = wireAppend(data, "debtor");
  xmlNode* id = wireAppend(subject, "uniqueIdentifier");
  wireAppend(id, "entityUniqueIdentifierType", text(debtor, "type"));
  wireAppend(id, "entityUniqueIdentifierValue", text(debtor, "id"));
  wireAppend(subject, "fullName", text(debtor, "fullName"));
  for (auto [from, to] : {std::pair{"streetName", "streetName"},
                          {"civicNumber", "civicNumber"},
                          {"postalCode", "postalCode"},
                          {"city", "city"},
                          {"stateProvinceRegion", "stateProvinceRegion"},
                          {"country", "country"},
                          {"email", "e-mail"}}) {
    if (auto value = text(debtor, from); !value.empty()) wireAppend(subject, to, value);
  }

  xmlNode* list = wireAppend(data, "transferList");
  int index = 0;
  for (const auto* transfer : transfers) {
    xmlNode* t = wireAppend(list, "transfer");
    wireAppend(t, "idTransfer", std::to_string(++index));
    wireAppend(t, "transferAmount", centsToAmount(*amountToCents(text(transfer, "amount"))));
    auto beneficiary = text(transfer, "fiscalCode");
    wireAppend(t, "fiscalCodePA", beneficiary.empty() ? tenant.fiscal_code : beneficiary);
    if (v2) {
      if (auto name = text(transfer, "companyName"); !name.empty()) {
        wireAppend(t, "companyName", name);
      }
    }
    if (const xmlNode* stamp = child(transfer, "stamp")) {
      xmlNode* request = wireAppend(t, "richiestaMarcaDaBollo");
      wireAppend(request, "hashDocumento", text(stamp, "documentHash"));
      wireAppend(request, "tipoBollo", text(stamp, "type"));
      wireAppend(request, "provinciaResidenza", text(stamp, "province"));
    } else {
      wireAppend(t, "IBAN", text(transfer, "iban"));
    }
    wireAppend(t, "remittanceInformation", text(transfer, "remittanceInformation"));
    wireAppend(t, "transferCategory", text(transfer, "category"));
    addMetadata(t, transfer);
  }
  addMetadata(data, root);
  return doc;
}

}  // namespace

core::XmlDocPtr canonicalRequest(const OperationInfo& operation, const xmlNode& wire,
                                 const NoticeNumber* notice) {
  const char* name = operation.operation == Operation::verify   ? "verifyRequest"
                     : operation.operation == Operation::demand ? "demandRequest"
                                                                : "activateRequest";
  xmlNs* ns = nullptr;
  auto doc = newCanonical(name, &ns);
  if (!doc) return doc;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  addCaller(root, ns, wire);
  if (operation.operation == Operation::demand) {
    add(root, ns, "idServizio", wireText(&wire, "idServizio"));
    add(root, ns, "idSoggettoServizio", wireText(&wire, "idSoggettoServizio"));
    add(root, ns, "datiSpecificiServizio", wireText(&wire, "datiSpecificiServizioRequest"));
    return doc;
  }
  add(root, ns, "fiscalCode", wireText(wireChild(&wire, "qrCode"), "fiscalCode"));
  add(root, ns, "noticeNumber", notice->text);
  add(root, ns, "auxDigit", std::to_string(notice->aux_digit));
  if (notice->aux_digit == 0) add(root, ns, "applicationCode", notice->code);
  if (notice->aux_digit == 3) add(root, ns, "segregationCode", notice->code);
  add(root, ns, "iuv", notice->iuv);
  if (operation.operation == Operation::verify) return doc;
  xmlNewProp(root, x("version"), x(operation.operation == Operation::get_payment ? "1" : "2"));
  for (const char* field : {"amount", "paymentNote", "transferType", "dueDate"}) {
    addIfAny(root, ns, field, wireText(&wire, field));
  }
  return doc;
}

core::XmlDocPtr canonicalReceipt(const OperationInfo& operation, const xmlNode& wire,
                                 bool beneficiary_only) {
  xmlNs* ns = nullptr;
  auto doc = newCanonical("receipt", &ns);
  if (!doc) return doc;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  xmlNewProp(root, x("version"), x(operation.operation == Operation::send_rt ? "1" : "2"));
  xmlNewProp(root, x("role"), x(beneficiary_only ? "beneficiary" : "creditor"));
  addCaller(root, ns, wire);
  copyQualified(wireChild(&wire, "receipt"), root, ns, wireText(&wire, "idPA"));
  return doc;
}

Answer wireResponse(const OperationInfo& operation, const xmlDoc& canonical,
                    const TenantSettings& tenant, const NoticeNumber* notice) {
  const xmlNode* root = xmlDocGetRootElement(const_cast<xmlDoc*>(&canonical));
  const char* expected = operation.operation == Operation::verify   ? "verifyResponse"
                         : operation.operation == Operation::demand ? "demandResponse"
                                                                    : "activateResponse";
  if (!root || !isCanonical(root, expected)) {
    return systemError(std::string("the route answered ") +
                       (root ? reinterpret_cast<const char*>(root->name) : "nothing") + ", not " +
                       expected);
  }
  const auto status = text(root, "status");
  if (status != "payable") return statusFault(status, text(root, "detail"));
  switch (operation.operation) {
    case Operation::verify:
      return verifyResponse(operation, root, tenant);
    case Operation::demand:
      return demandResponse(operation, root, tenant);
    default:
      return activateResponse(operation, root, tenant, notice);
  }
}

core::XmlDocPtr receiptAccepted(const OperationInfo& operation) {
  auto doc = newResponse(operation);
  if (doc) wireAppend(xmlDocGetRootElement(doc.get()), "outcome", std::string("OK"));
  return doc;
}

}  // namespace egov::adapters::pagopa
