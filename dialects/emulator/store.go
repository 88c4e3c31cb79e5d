package emulator

// resource is one stored SCIM resource, in the backend's JSON.
type resource struct {
	id      string
	created string
	version int
	raw     []byte
}

// etag renders a resource's version as the vendor does (Vendor.Version).
func (s *Server) etag(r *resource) string {
	e, _ := s.v.Version(r.version)
	return e
}

// store keeps resources in creation order with a unique-key index
// (lower-cased userName or displayName).
type store struct {
	byID  map[string]*resource
	byKey map[string]string // unique key -> id
	keyOf map[string]string // id -> unique key
	order []string
}

func newStore() *store {
	return &store{byID: map[string]*resource{}, byKey: map[string]string{}, keyOf: map[string]string{}}
}

func (s *store) put(r *resource, key string) {
	if _, ok := s.byID[r.id]; !ok {
		s.order = append(s.order, r.id)
	}
	s.byID[r.id] = r
	if old, ok := s.keyOf[r.id]; ok {
		delete(s.byKey, old)
	}
	s.byKey[key] = r.id
	s.keyOf[r.id] = key
}

func (s *store) remove(id string) {
	delete(s.byID, id)
	delete(s.byKey, s.keyOf[id])
	delete(s.keyOf, id)
	for i, v := range s.order {
		if v == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}
