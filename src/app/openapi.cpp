#include "app/openapi.hpp"

#include <regex>
#include <set>

#include <nlohmann/json.hpp>

namespace kefu::app {

namespace {

// The API's description. Every route the server registers must be here: the document served
// lists any that are not under "x-undocumented", and the integration test requires it empty.
constexpr std::string_view kDocument = R"json({
 "openapi": "3.0.3",
 "info": {
  "title": "kefu API",
  "version": "1"
 },
 "components": {
  "securitySchemes": {
   "session": {
    "type": "apiKey",
    "in": "cookie",
    "name": "kefu_session"
   },
   "apiKey": {
    "type": "http",
    "scheme": "bearer"
   }
  },
  "schemas": {
   "Customer": {
    "type": "object",
    "properties": {
     "id": {
      "type": "integer"
     },
     "name": {
      "type": "string"
     },
     "company": {
      "type": "string"
     },
     "vip_tier": {
      "type": "integer"
     },
     "phones": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "e164": {
         "type": "string"
        },
        "label": {
         "type": "string"
        },
        "region": {
         "type": "string"
        }
       }
      }
     },
     "tags": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "account_numbers": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "department_id": {
      "type": "integer",
      "nullable": true,
      "description": "the owning department; null with owner_user_id null: shared, visible to every reader"
     },
     "owner_user_id": {
      "type": "integer",
      "nullable": true
     }
    }
   },
   "Error": {
    "type": "object",
    "properties": {
     "error": {
      "type": "object",
      "properties": {
       "code": {
        "type": "string"
       },
       "message": {
        "type": "string"
       },
       "field": {
        "type": "string",
        "nullable": true
       }
      }
     }
    }
   }
  }
 },
 "paths": {
  "/healthz": {
   "get": {
    "summary": "Ready check",
    "x-access": "anyone",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    }
   }
  },
  "/metrics": {
   "get": {
    "summary": "Prometheus metrics (SIP, media, queues, agents)",
    "x-access": "anyone",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    }
   }
  },
  "/api/v1/openapi.json": {
   "get": {
    "summary": "This document",
    "x-access": "anyone",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    }
   }
  },
  "/api/v1/auth/login": {
   "post": {
    "summary": "Sign in: {login, password} → session cookie (HttpOnly, SameSite=Strict) and the CSRF token",
    "x-access": "anyone",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    }
   }
  },
  "/api/v1/auth/logout": {
   "post": {
    "summary": "End the session",
    "x-access": "signed in",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/auth/me": {
   "get": {
    "summary": "The caller, permissions, scopes, CSRF token",
    "x-access": "signed in",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/auth/password": {
   "post": {
    "summary": "Change the password {current_password, new_password}; ends other sessions",
    "x-access": "signed in",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/users": {
   "get": {
    "summary": "Users in the caller's scope; ?page=&page_size=&department=&role=&q=",
    "x-access": "users.read",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   },
   "post": {
    "summary": "Create a user",
    "x-access": "users.write",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/users/{id}": {
   "get": {
    "summary": "One user (scope enforced)",
    "x-access": "users.read",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   },
   "patch": {
    "summary": "Update a user",
    "x-access": "users.write",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/users/{id}/disable": {
   "post": {
    "summary": "Disable a user and end their sessions",
    "x-access": "users.write",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/users/{id}/enable": {
   "post": {
    "summary": "Enable a user",
    "x-access": "users.write",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/departments": {
   "get": {
    "summary": "The department tree",
    "x-access": "users.read",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   },
   "post": {
    "summary": "Create a department {name, parent_id}",
    "x-access": "departments.write",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/api-keys": {
   "get": {
    "summary": "API keys",
    "x-access": "api_keys.manage",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   },
   "post": {
    "summary": "Create an API key {name, user_id}; the key is shown once",
    "x-access": "api_keys.manage",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/api-keys/{id}": {
   "delete": {
    "summary": "Revoke an API key",
    "x-access": "api_keys.manage",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/audit": {
   "get": {
    "summary": "Audit log; ?entity=&entity_id=&limit=",
    "x-access": "audit.read",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/queues": {
   "get": {
    "summary": "Live queue statistics",
    "x-access": "queues.read",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/agents": {
   "get": {
    "summary": "Live agent states",
    "x-access": "agents.read",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/agents/{id}": {
   "get": {
    "summary": "One agent's live state (the agent, or agents.read)",
    "x-access": "signed in",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/agents/{id}/login": {
   "post": {
    "summary": "Log the agent in {state: ready|not_ready}",
    "x-access": "signed in (own) or agents.control",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/agents/{id}/logout": {
   "post": {
    "summary": "Log the agent out (after the current call)",
    "x-access": "signed in (own) or agents.control",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/agents/{id}/ready": {
   "post": {
    "summary": "Ready for calls",
    "x-access": "signed in (own) or agents.control",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/agents/{id}/not-ready": {
   "post": {
    "summary": "Not ready {reason}",
    "x-access": "signed in (own) or agents.control",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/calls": {
   "get": {
    "summary": "Call history, newest first, limited to the caller's data scope for calls (an agent: the calls they took; a supervisor or team leader: their department's agents'; all: every call, also those no agent took). {items: [CallSummary], next_before}: pass next_before as ?before= for the next page; null on the last page",
    "x-access": "calls.control",
    "parameters": [
     {
      "name": "from",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer"
      },
      "description": "arrival at or after (epoch ms)"
     },
     {
      "name": "to",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer"
      },
      "description": "arrival before (epoch ms)"
     },
     {
      "name": "agent",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "agent number"
     },
     {
      "name": "queue",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "queue name"
     },
     {
      "name": "number",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "caller or dialed number as stored"
     },
     {
      "name": "disposition",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "answered, abandoned, overflowed, transferred, unanswered, failed, interrupted"
     },
     {
      "name": "direction",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "inbound, outbound, internal"
     },
     {
      "name": "before",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "the cursor of the previous page (next_before)"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer"
      },
      "description": "1 to 200, default 50"
     }
    ],
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/calls/{id}": {
   "get": {
    "summary": "One call: its record, its legs and, with recordings.read, its recordings (id, state, started_at, duration_ms); 404 when missing or outside the caller's data scope",
    "x-access": "calls.control",
    "responses": {
     "200": {
      "description": "OK"
     },
     "404": {
      "description": "no such call, or not in the caller's data scope",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/calls/{id}/transfer": {
   "post": {
    "summary": "Blind transfer of a queued or connected call to {queue} or {agent}, or of a connected call to {number} (an extension or an outside number through the gateway; not answered, the caller returns to the queue). Agents transfer only their own calls; others need agents.control",
    "x-access": "calls.control",
    "responses": {
     "200": {
      "description": "OK"
     },
     "409": {
      "description": "the call is not in a state to be transferred, or the number is not reachable"
     },
     "503": {
      "description": "an outside number, but no gateway is configured"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/calls/originate": {
   "post": {
    "summary": "Click-to-call {agent?, number}: rings the agent's phone, then dials the number (extension or gateway) and bridges; 202 {call_id} at once, progress as call.originated/dialing/connected/ended events. 400 field number, 404 agent, 409 phone not registered or agent busy, 503 no gateway",
    "x-access": "calls.control (own agent) or agents.control",
    "responses": {
     "202": {
      "description": "Accepted: the agent's phone rings"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     },
     "404": {
      "description": "unknown agent"
     },
     "409": {
      "description": "the agent's phone is not registered, or the agent is logged out or on a call"
     },
     "503": {
      "description": "no outbound gateway for an outside number"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/customers": {
   "get": {
    "summary": "Find customers: ?phone= (any spelling) | ?name= (prefix) | ?account=; only those in the caller's data scope, and shared ones (no department, no owner)",
    "x-access": "customers.read",
    "responses": {
     "200": {
      "description": "OK: {customers: [...]} (name searches give id, name, company, vip_tier only)",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "customers": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Customer"
           }
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   },
   "post": {
    "summary": "Create a customer {name, company?, vip_tier?, phone?, department_id?}, owned by the caller, in the caller's department unless department_id names one in their scope",
    "x-access": "customers.write",
    "responses": {
     "201": {
      "description": "created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Customer"
        }
       }
      }
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/customers/{id}": {
   "get": {
    "summary": "One customer; 404 when missing or outside the caller's data scope",
    "x-access": "customers.read",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Customer"
        }
       }
      }
     },
     "404": {
      "description": "no such customer, or not in the caller's data scope",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ]
   }
  },
  "/api/v1/screen-pop": {
   "get": {
    "summary": "The screen pop for ?number= (not scoped: it is about the caller on the line)",
    "x-access": "customers.read",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  },
  "/api/v1/events": {
   "get": {
    "summary": "WebSocket event stream: agent.state, call.offered (with screen_pop), call.connected, call.ended, queue.stats",
    "x-access": "signed in",
    "responses": {
     "200": {
      "description": "OK"
     },
     "400": {
      "description": "invalid input",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "not signed in"
     },
     "403": {
      "description": "not allowed, or CSRF token missing"
     }
    },
    "security": [
     {
      "session": []
     },
     {
      "apiKey": []
     }
    ]
   }
  }
 }
})json";

}  // namespace

std::string openapi_document(const std::vector<std::string>& routes) {
  auto doc = nlohmann::json::parse(kDocument);
  std::set<std::string> documented;
  const std::regex parameter(R"(\{[^}]*\})");
  for (const auto& [path, operations] : doc["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      std::string upper;
      for (char c : method) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      documented.insert(upper + " " + std::regex_replace(path, parameter, "{}"));
    }
  }
  auto undocumented = nlohmann::json::array();
  for (const auto& route : routes) {
    if (!documented.contains(route)) undocumented.push_back(route);
  }
  doc["x-undocumented"] = undocumented;
  return doc.dump();
}

}  // namespace kefu::app
