# A block tag from the site's own plugin, which the app does not know: Jekyll renders its
# content unchanged, the app keeps the content and warns naming the tag.
module OracleNotes
  class AsideBlock < Liquid::Block
    def render(context)
      super
    end
  end
end
Liquid::Template.register_tag("aside", OracleNotes::AsideBlock)
