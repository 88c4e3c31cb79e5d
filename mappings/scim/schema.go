package scim

// Attribute is an attribute definition in the form of RFC 7643 §7.
type Attribute struct {
	Name            string      `json:"name"`
	Type            string      `json:"type"`
	MultiValued     bool        `json:"multiValued"`
	Description     string      `json:"description,omitempty"`
	Required        bool        `json:"required"`
	CaseExact       bool        `json:"caseExact"`
	Mutability      string      `json:"mutability"`
	Returned        string      `json:"returned"`
	Uniqueness      string      `json:"uniqueness"`
	CanonicalValues []string    `json:"canonicalValues,omitempty"`
	ReferenceTypes  []string    `json:"referenceTypes,omitempty"`
	SubAttributes   []Attribute `json:"subAttributes,omitempty"`
}

// Schema is a schema definition (RFC 7643 §7).
type Schema struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Attributes  []Attribute `json:"attributes"`
}

// attr builds a single-valued, readWrite, default-returned attribute.
func attr(name, typ, desc string) Attribute {
	return Attribute{Name: name, Type: typ, Description: desc, Mutability: "readWrite", Returned: "default", Uniqueness: "none"}
}

func (a Attribute) multi() Attribute              { a.MultiValued = true; return a }
func (a Attribute) required() Attribute           { a.Required = true; return a }
func (a Attribute) exact() Attribute              { a.CaseExact = true; return a }
func (a Attribute) mut(m string) Attribute        { a.Mutability = m; return a }
func (a Attribute) ret(r string) Attribute        { a.Returned = r; return a }
func (a Attribute) unique(u string) Attribute     { a.Uniqueness = u; return a }
func (a Attribute) canon(v ...string) Attribute   { a.CanonicalValues = v; return a }
func (a Attribute) refs(v ...string) Attribute    { a.ReferenceTypes = v; return a }
func (a Attribute) subs(s ...Attribute) Attribute { a.SubAttributes = s; return a }

// multiValuedSubs are the sub-attributes of RFC 7643 §2.4 multi-valued
// attributes, with the given canonical types.
func multiValuedSubs(valueType string, types ...string) []Attribute {
	return []Attribute{
		attr("value", valueType, "The attribute's significant value."),
		attr("display", "string", "A human-readable name, primarily used for display purposes.").mut("readOnly"),
		attr("type", "string", "A label indicating the attribute's function.").canon(types...),
		attr("primary", "boolean", "Indicates the 'primary' or preferred attribute value."),
	}
}

// UserSchemaDef is the core User schema (RFC 7643 §4.1, §8.7.1).
var UserSchemaDef = Schema{
	ID: UserSchema, Name: "User", Description: "User Account",
	Attributes: []Attribute{
		attr("userName", "string", "Unique identifier for the User, typically used by the user to directly authenticate to the service provider.").required().unique("server"),
		attr("name", "complex", "The components of the user's real name.").subs(
			attr("formatted", "string", "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
			attr("familyName", "string", "The family name of the User."),
			attr("givenName", "string", "The given name of the User."),
			attr("middleName", "string", "The middle name(s) of the User."),
			attr("honorificPrefix", "string", "The honorific prefix(es) of the User."),
			attr("honorificSuffix", "string", "The honorific suffix(es) of the User."),
		),
		attr("displayName", "string", "The name of the User, suitable for display to end-users."),
		attr("nickName", "string", "The casual way to address the user in real life."),
		attr("profileUrl", "reference", "A fully qualified URL pointing to a page representing the User's online profile.").refs("external"),
		attr("title", "string", "The user's title, such as \"Vice President\"."),
		attr("userType", "string", "Used to identify the relationship between the organization and the user."),
		attr("preferredLanguage", "string", "Indicates the User's preferred written or spoken language."),
		attr("locale", "string", "Used to indicate the User's default location for purposes of localizing items."),
		attr("timezone", "string", "The User's time zone in the 'Olson' time zone database format."),
		attr("active", "boolean", "A Boolean value indicating the User's administrative status."),
		attr("password", "string", "The User's cleartext password.").mut("writeOnly").ret("never"),
		attr("emails", "complex", "Email addresses for the user.").multi().subs(multiValuedSubs("string", "work", "home", "other")...),
		attr("phoneNumbers", "complex", "Phone numbers for the User.").multi().subs(multiValuedSubs("string", "work", "home", "mobile", "fax", "pager", "other")...),
		attr("ims", "complex", "Instant messaging addresses for the User.").multi().subs(multiValuedSubs("string", "aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")...),
		attr("photos", "complex", "URLs of photos of the User.").multi().subs(multiValuedSubs("reference", "photo", "thumbnail")...),
		attr("addresses", "complex", "A physical mailing address for this User.").multi().subs(
			attr("formatted", "string", "The full mailing address, formatted for display."),
			attr("streetAddress", "string", "The full street address component."),
			attr("locality", "string", "The city or locality component."),
			attr("region", "string", "The state or region component."),
			attr("postalCode", "string", "The zip code or postal code component."),
			attr("country", "string", "The country name component."),
			attr("type", "string", "A label indicating the attribute's function.").canon("work", "home", "other"),
			attr("primary", "boolean", "Indicates the 'primary' or preferred address."),
		),
		attr("groups", "complex", "A list of groups to which the user belongs.").multi().mut("readOnly").subs(
			attr("value", "string", "The identifier of the User's group.").mut("readOnly"),
			attr("$ref", "reference", "The URI of the corresponding 'Group' resource.").mut("readOnly").refs("User", "Group"),
			attr("display", "string", "A human-readable name of the group.").mut("readOnly"),
			attr("type", "string", "A label indicating the membership's function.").mut("readOnly").canon("direct", "indirect"),
		),
		attr("entitlements", "complex", "A list of entitlements for the User.").multi().subs(multiValuedSubs("string")...),
		attr("roles", "complex", "A list of roles for the User.").multi().subs(multiValuedSubs("string")...),
		attr("x509Certificates", "complex", "A list of certificates issued to the User.").multi().subs(multiValuedSubs("binary")...),
	},
}

// GroupSchemaDef is the core Group schema (RFC 7643 §4.2, §8.7.1).
var GroupSchemaDef = Schema{
	ID: GroupSchema, Name: "Group", Description: "Group",
	Attributes: []Attribute{
		attr("displayName", "string", "A human-readable name for the Group.").required(),
		attr("members", "complex", "A list of members of the Group.").multi().subs(
			attr("value", "string", "Identifier of the member of this Group.").mut("immutable").exact(),
			attr("$ref", "reference", "The URI corresponding to a SCIM resource that is a member of this Group.").mut("immutable").refs("User", "Group"),
			attr("display", "string", "A human-readable name of the member.").mut("readOnly"),
			attr("type", "string", "A label indicating the type of resource.").mut("immutable").canon("User", "Group"),
		),
	},
}

// EnterpriseSchemaDef is the enterprise User extension (RFC 7643 §4.3).
var EnterpriseSchemaDef = Schema{
	ID: EnterpriseSchema, Name: "EnterpriseUser", Description: "Enterprise User",
	Attributes: []Attribute{
		attr("employeeNumber", "string", "Numeric or alphanumeric identifier assigned to a person."),
		attr("costCenter", "string", "Identifies the name of a cost center."),
		attr("organization", "string", "Identifies the name of an organization."),
		attr("division", "string", "Identifies the name of a division."),
		attr("department", "string", "Identifies the name of a department."),
		attr("manager", "complex", "The User's manager.").subs(
			attr("value", "string", "The id of the SCIM resource representing the User's manager.").exact(),
			attr("$ref", "reference", "The URI of the SCIM resource representing the User's manager.").refs("User"),
			attr("displayName", "string", "The displayName of the User's manager.").mut("readOnly"),
		),
	},
}

// Attr returns a single-valued, readWrite attribute definition, for
// dialects that declare their vendor's extension schemas; its methods
// refine it.
func Attr(name, typ, desc string) Attribute { return attr(name, typ, desc) }

// Multi makes the attribute multi-valued.
func (a Attribute) Multi() Attribute { return a.multi() }

// ReadOnly makes the attribute one the service provider sets.
func (a Attribute) ReadOnly() Attribute { return a.mut("readOnly") }

// Returns sets when the attribute is returned ("always", "request", …).
func (a Attribute) Returns(r string) Attribute { return a.ret(r) }

// With gives a complex attribute its sub-attributes.
func (a Attribute) With(subs ...Attribute) Attribute { return a.subs(subs...) }

// Canonical sets the attribute's canonical values.
func (a Attribute) Canonical(v ...string) Attribute { return a.canon(v...) }
